@testable import Backup
import Testing

@Suite("The idle gate")
struct IdleGateTests {
    @Test func aNapEndsWhenATaskFinishes() async throws {
        let gate = IdleGate()
        let start = ContinuousClock.now
        async let napped: Void = gate.nap(.seconds(30))
        try await Task.sleep(for: .milliseconds(50))
        gate.wake() // a slot finished a task: before or during the nap, the prober asks at once
        await napped
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func aWakeWhileNobodyNapsSkipsTheNextNapOnly() async {
        let gate = IdleGate()
        gate.wake()
        let first = ContinuousClock.now
        await gate.nap(.seconds(30))
        #expect(ContinuousClock.now - first < .seconds(10))
        let second = ContinuousClock.now
        await gate.nap(.milliseconds(200))
        #expect(ContinuousClock.now - second >= .milliseconds(200), "an unwoken nap lasts its interval")
    }
}
