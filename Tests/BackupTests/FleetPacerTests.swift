import Foundation
@testable import Backup
import Queue
import S3
import Testing

@Suite("The fleet pacer", .timeLimit(.minutes(1)))
struct FleetPacerTests {
    private let path = FileManager.default.temporaryDirectory.appendingPathComponent("s3backup-pacer-\(UUID().uuidString).db").path

    private func throttle() -> S3Error { S3Error(.service(status: 503, code: "SlowDown"), "Please reduce your request rate.") }

    /// Keeps `told` throttled (as S3 would while overloaded) until `other` has read a level of at least `level`.
    private func throttle(_ told: FleetPacer, until other: FleetPacer, reaches level: Int) async throws {
        for _ in 0..<250 where other.level < level {
            for _ in 0..<3 { told.attemptFailed(throttle(), verdict: .throttled, willRetry: true) }
            await other.beforeAttempt("GetObject")
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(other.level >= level)
    }

    @Test func aStraySlowDownIsTheRequestsBusinessAShareOfThemSlowsTheFleet() async throws {
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let queue = try SQLiteQueue(path: path)
        let told = FleetPacer(queue: queue, refreshInterval: .milliseconds(10), log: { _ in })
        let other = FleetPacer(queue: try SQLiteQueue(path: path), refreshInterval: .milliseconds(10), log: { _ in })

        for _ in 0..<40 { await told.beforeAttempt("GetObject") }
        told.attemptFailed(throttle(), verdict: .throttled, willRetry: true)
        told.attemptFailed(throttle(), verdict: .throttled, willRetry: true)
        told.attemptFailed(throttle(), verdict: .throttled, willRetry: true)
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await queue.throttle() == nil, "3 throttled of 43 attempts: no fleet backoff")

        for _ in 0..<10 { told.attemptFailed(throttle(), verdict: .throttled, willRetry: true) }
        try await throttle(told, until: other, reaches: 1)

        // While S3 keeps throttling, the other process spaces its requests at least 20 ms apart. The throttling
        // goes on during the measurement: the level decays 2 s after the last raise, which a loaded machine can
        // reach between the read above and the sixth attempt.
        let stillThrottled = Task {
            while !Task.isCancelled {
                for _ in 0..<3 { told.attemptFailed(throttle(), verdict: .throttled, willRetry: true) }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let start = ContinuousClock.now
        for _ in 0..<6 { await other.beforeAttempt("GetObject") }
        let elapsed = ContinuousClock.now - start
        stillThrottled.cancel()
        await stillThrottled.value
        #expect(elapsed >= .milliseconds(100))

        let counts = told.takeCounts()
        #expect(counts.retries == counts.throttled && counts.throttled >= 13)
        #expect(told.takeCounts() == FleetPacer.Counts(), "taken once")
    }

    @Test func otherFailuresAreCountedButNeverSlowTheFleet() async throws {
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let queue = try SQLiteQueue(path: path)
        let pacer = FleetPacer(queue: queue, log: { _ in })
        let reset = S3Error(.transport(curlCode: 56), "Connection reset by peer")
        for _ in 0..<10 { pacer.attemptFailed(reset, verdict: .transient, willRetry: true) }
        pacer.attemptFailed(reset, verdict: .transient, willRetry: false)
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await queue.throttle() == nil)
        #expect(pacer.takeCounts() == FleetPacer.Counts(retries: 10, throttled: 0))
    }
}
