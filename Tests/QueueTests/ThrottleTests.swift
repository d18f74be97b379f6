import Foundation
@testable import Queue
import TestSupport
import Testing

@Suite("The fleet's shared backoff", .timeLimit(.minutes(2)))
struct ThrottleTests {
    let clock = TestClock()


    @Test func theLevelRisesOncePerBurstAndDecaysByItself() {
        let start = Date(timeIntervalSince1970: 1_000)
        var throttle = FleetThrottle(level: 0, raisedAt: .distantPast).raised(at: start)
        #expect(throttle.level == 1)
        #expect(throttle.raised(at: start + 0.2) == throttle, "a burst counts once")
        throttle = throttle.raised(at: start + 0.5)
        #expect(throttle.level == 2)
        #expect(throttle.level(at: start + 2.4) == 2)
        #expect(throttle.level(at: start + 2.5) == 1)
        #expect(throttle.level(at: start + 4.5) == 0)
        #expect(throttle.level(at: start + 100) == 0)
        #expect(throttle.raised(at: start + 2.5).level == 2, "a raise starts from the decayed level")
        for step in 1...20 { throttle = throttle.raised(at: start + Double(step)) }
        #expect(throttle.level == FleetThrottle.maxLevel)
    }

    @Test func intervalsDoubleFromTwentyMilliseconds() {
        #expect(FleetThrottle.interval(level: 0) == .zero)
        #expect(FleetThrottle.interval(level: 1) == .milliseconds(20))
        #expect(FleetThrottle.interval(level: 3) == .milliseconds(80))
        #expect(FleetThrottle.interval(level: 6) == .milliseconds(640))
        #expect(FleetThrottle.interval(level: 60) == .milliseconds(640))
    }

    @Test(arguments: Backend.allCases) func everyConnectionSeesOneSharedLevel(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let first = try place.open(clock: clock), second = try place.open(clock: clock)
        #expect(try await first.throttle() == nil)
        async let a = first.raiseThrottle()
        async let b = second.raiseThrottle()
        _ = try await (a, b)
        #expect(try await second.throttle()?.level == 1, "two raises at one moment count once")
        clock.advance(.seconds(1))
        #expect(try await second.raiseThrottle().level == 2)
        #expect(try await first.throttle() == FleetThrottle(level: 2, raisedAt: clock.date))
        clock.advance(.seconds(4))
        #expect(try await first.throttle()?.level(at: clock.date) == 0)
    }
}
