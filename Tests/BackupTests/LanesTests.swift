@testable import Backup
import Foundation
@testable import S3
import Testing

@Suite("Transfer lanes", .timeLimit(.minutes(1)))
struct LanesTests {
    /// Counts what runs at once.
    private final class Gauge: Sendable {
        private let state = LockedBox((now: 0, most: 0, done: [Int]()))
        func enter() { state.mutate { $0.now += 1; $0.most = max($0.most, $0.now) } }
        func leave(_ item: Int) { state.mutate { $0.now -= 1; $0.done.append(item) } }
        var most: Int { state.value.most }
        var done: [Int] { state.value.done }
    }

    /// Two callers' elements share the lanes: each element runs once, never more than the lanes at once.
    @Test func everyElementRunsOnceAndNoMoreThanTheLanesAtOnce() async throws {
        let lanes = Lanes(count: 3)
        defer { lanes.close() }
        let gauge = Gauge()
        async let first: Void = lanes.forEach(Array(0..<20)) { item in
            gauge.enter()
            try await Task.sleep(for: .milliseconds(5))
            gauge.leave(item)
        }
        async let second: Void = lanes.forEach(Array(100..<120)) { item in
            gauge.enter()
            try await Task.sleep(for: .milliseconds(5))
            gauge.leave(item)
        }
        _ = try await (first, second)
        #expect(gauge.done.sorted() == Array(0..<20) + Array(100..<120))
        #expect(gauge.most <= 3)
        #expect(gauge.most > 1, "elements ran at once")
        #expect(try await lanes.run { 42 } == 42)
    }

    /// The first error stops the elements not yet started and is thrown once those under way have ended.
    @Test func theFirstErrorStopsWhatHasNotStarted() async throws {
        struct Broken: Error {}
        let lanes = Lanes(count: 2)
        defer { lanes.close() }
        let gauge = Gauge()
        await #expect(throws: Broken.self) {
            try await lanes.forEach(Array(0..<50)) { item in
                gauge.enter()
                defer { gauge.leave(item) }
                try await Task.sleep(for: .milliseconds(2))
                if item == 3 { throw Broken() }
            }
        }
        let done = gauge.done
        #expect(done.contains(3) && done.count < 10, "\(done)")
        try await Task.sleep(for: .milliseconds(50))
        #expect(gauge.done.count == done.count, "nothing ran after the error was thrown")
    }

    /// Work on a lane runs on the lane's thread, which performs requests itself (it holds an easy handle);
    /// `forEachConcurrently` leaves it.
    @Test func workRunsOnTheLaneThreadAndConcurrentLoopsLeaveIt() async throws {
        let lanes = Lanes(count: 1)
        defer { lanes.close() }
        let (onLane, inLoop) = try await lanes.run {
            let onLane = TransferLane.currentHandle != nil
            let inLoop = LockedBox<[Bool]>([])
            try await forEachConcurrently([1, 2], width: 2) { _ in inLoop.mutate { $0.append(TransferLane.currentHandle != nil) } }
            return (onLane, inLoop.value)
        }
        #expect(onLane)
        #expect(inLoop == [false, false])
    }

    /// A queue that never runs empty (a worker under steady work) hands elements out in order and does not keep
    /// what it handed out.
    @Test func aQueueThatNeverRunsEmptyKeepsLittleOfWhatItHandedOut() {
        var queue = FIFO<Int>()
        for value in 0..<100 { queue.append(value) }
        var inOrder = true
        for value in 100..<100_100 {
            queue.append(value)
            inOrder = inOrder && queue.popFirst() == value - 100
        }
        #expect(inOrder)
        #expect(queue.count == 100)
        #expect(queue.stored <= 2 * 1024, "\(queue.stored) elements held for 100 waiting")
        for value in 100_000..<100_100 { inOrder = inOrder && queue.popFirst() == value }
        #expect(inOrder && queue.popFirst() == nil && queue.stored == 0)
    }

    @Test(arguments: ["backups/2026/a.txt", "with space", "quote\"d", "back\\slash", "tab\there", "line\nbreak",
                      "é", "e\u{301}", "", "\u{7F}", "~!@#$%^&*()_+-={}[]|:;'<>,.?/`"])
    func logQuotingIsDebugDescription(key: String) {
        #expect(RunLog.quoted(key) == key.debugDescription)
    }
}
