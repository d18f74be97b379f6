import Foundation
import S3
import TestSupport
import Testing

/// Backups and restores through the fault-injecting proxy: what breaks S3 exchanges must not break the backup.
@Suite("runs under injected faults", .serialized, .timeLimit(.minutes(10)))
struct FaultTests {
    /// The mix the issue names: about 10 % SlowDown, 5 % resets, 2 % truncated bodies, 200-with-Error on copies.
    static let mix: [String: Double] = [
        "slowdown": 0.10, "reset-before": 0.025, "reset-mid": 0.025, "truncate": 0.02, "error200": 0.2,
        "internal": 0.02, "bad-etag": 0.02,
    ]

    /// Every key's body on both sides (read around the proxy): equal, byte for byte. Returns how many were compared.
    private func expectSameBodies(_ fixture: BackupFixture, _ keys: [String]) async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for lane in 0..<8 {
                group.addTask {
                    var compared = 0
                    for key in stride(from: lane, to: keys.count, by: 8).map({ keys[$0] }) {
                        let a = BytesSink(), b = BytesSink()
                        try await fixture.sourceClient.getObject(bucket: fixture.primary, key: key, to: a)
                        try await fixture.backupClient.getObject(bucket: fixture.backup, key: key, to: b)
                        #expect(a.bytes == b.bytes, "body of \(key.debugDescription)")
                        compared += 1
                    }
                    return compared
                }
            }
            return try await group.reduce(0, +)
        }
    }

    /// Streamed copies (each side through its own faulty proxy) and a restore through them: the backup equals
    /// the primary, every body compared; the report counts the retries, and they stay within the faults injected.
    @Test func aStreamedBackupAndRestoreUnderFaultsEndExact() async throws {
        var fixture = try await BackupFixture("faults-stream")
        defer { fixture.remove() }
        let upstream = fixture.emulator.server.endpoint
        let sourceProxy = try await FaultProxy(upstream: upstream, rates: Self.mix, seed: 11)
        let backupProxy = try await FaultProxy(upstream: upstream, rates: Self.mix, seed: 12)
        fixture.flags = ["--source-endpoint-url", sourceProxy.endpoint, "--backup-endpoint-url", backupProxy.endpoint]
        fixture.environment["AWS_ENDPOINT_URL"] = sourceProxy.endpoint
        try await fixture.seed(1_200)
        try await fixture.seedAwkward()

        let backup = try await fixture.run(timeout: .seconds(400))
        let failed = try await run(Repository.binary, ["failed", "--db", fixture.database], environment: fixture.environment)
        #expect(backup.status == 0, "\(failed.stdoutText.prefix(3_000))")
        let report = try #require(backup.reports.last)
        // A task's result is its last attempt's: objects an earlier attempt copied count as already there.
        #expect((report.int("work", "copied") ?? 0) + (report.int("work", "already_present") ?? 0) == 1_200 + awkwardKeys.count + 1)
        #expect(report.int("work", "server_side") == 0)
        try await fixture.expectEqual(sample: awkwardKeys + ["big/three-parts.bin"])
        let keys = try await fixture.emulator.keys(fixture.primary)
        let compared = try await expectSameBodies(fixture, keys)
        #expect(compared == 1_200 + awkwardKeys.count + 1)

        let injected = try await sourceProxy.stats().faults + backupProxy.stats().faults
        let retries = try #require(report.int("work", "request_retries"))
        #expect(injected > 100, "faults were injected: \(injected)")
        #expect(retries > 0 && retries <= injected, "request retries \(retries) within the \(injected) faults injected")
        #expect((report.int("work", "throttled") ?? 0) > 0)

        // Restore a prefix the primary lost, through the same faults.
        let lost = keys.filter { $0.hasPrefix("clients/00") }
        _ = try await fixture.sourceClient.deleteObjects(bucket: fixture.primary, lost.map { ObjectVersionRef(key: $0) })
        let restore = try await run(
            Repository.binary,
            ["restore", "--from", "s3://\(fixture.backup)", "--to", "s3://\(fixture.primary)", "--db", fixture.database,
             "--log-dir", fixture.logDirectory, "--lease-seconds", "2", "--workers", "2", "--yes", "--json",
             "--endpoint-url", sourceProxy.endpoint],
            environment: fixture.environment, timeout: .seconds(300))
        #expect(restore.status == 0, "\(restore.stderr.suffix(3_000))")
        #expect(try await fixture.emulator.keys(fixture.primary).count == keys.count)
        #expect(try await expectSameBodies(fixture, lost) == lost.count)
        print("faults, streamed: \(injected) injected, \(retries) request retries, \(compared) bodies compared, "
            + "\(lost.count) restored")
    }

    /// Server-side copies through one faulty proxy: 200-with-Error on CopyObject and CompleteMultipartUpload
    /// among the faults; the backup ends equal, a second run copies nothing.
    @Test func aServerSideBackupUnderFaultsEndsExact() async throws {
        var fixture = try await BackupFixture("faults-server")
        defer { fixture.remove() }
        let proxy = try await FaultProxy(upstream: fixture.emulator.server.endpoint, rates: Self.mix, seed: 21)
        fixture.environment["AWS_ENDPOINT_URL"] = proxy.endpoint
        try await fixture.seed(1_500)
        try await fixture.seedAwkward()

        let first = try await fixture.run(timeout: .seconds(400))
        #expect(first.status == 0, "\(first.stderr.suffix(3_000))")
        #expect((first.reports.last?.int("work", "copied") ?? 0) + (first.reports.last?.int("work", "already_present") ?? 0)
                    == 1_500 + awkwardKeys.count + 1)
        #expect(first.reports.last?.int("work", "streamed") == 0)
        try await fixture.expectEqual(sample: awkwardKeys + ["big/three-parts.bin"])
        let stats = try await proxy.stats()
        #expect((stats.injected["error200"] ?? 0) > 0, "200-with-Error was injected: \(stats.injected)")
        let retries = first.reports.last?.int("work", "request_retries") ?? -1
        #expect(retries > 0 && retries <= stats.faults, "\(retries) retries for \(stats.faults) faults")

        let second = try await fixture.run(timeout: .seconds(200))
        #expect(second.status == 0, "\(second.stderr.suffix(2_000))")
        #expect(second.reports.last?.int("work", "copied") == 0)
        print("faults, server-side: \(stats.faults) injected \(stats.injected), \(retries) request retries")
    }

    /// Responses that stall (nothing sent for 5 s) are cut by the low-speed timeout (S3BACKUP_STALL_SECONDS=1)
    /// and tried again: the run finishes exact.
    @Test func stalledResponsesAreCutAndRetried() async throws {
        var fixture = try await BackupFixture("faults-stall")
        defer { fixture.remove() }
        let proxy = try await FaultProxy(upstream: fixture.emulator.server.endpoint, rates: ["stall": 0.1], seed: 31,
                                   stallSeconds: 5)
        fixture.environment["AWS_ENDPOINT_URL"] = proxy.endpoint
        fixture.environment["S3BACKUP_STALL_SECONDS"] = "1"
        try await fixture.seed(60)
        let result = try await fixture.run(timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderr.suffix(2_000))")
        try await fixture.expectEqual(sample: [])
        let stalls = try await proxy.stats().injected["stall"] ?? 0
        #expect(stalls > 0)
        #expect((result.reports.last?.int("work", "request_retries") ?? 0) > 0)
    }

    /// A fault that never clears ends as dead tasks naming S3's error, in bounded time; the rest is backed up.
    @Test func aFaultThatNeverClearsEndsAsDeadTasksNamingTheError() async throws {
        var fixture = try await BackupFixture("faults-poison")
        defer { fixture.remove() }
        let proxy = try await FaultProxy(upstream: fixture.emulator.server.endpoint)
        fixture.environment["AWS_ENDPOINT_URL"] = proxy.endpoint
        try await fixture.seed(40)
        try await fixture.seed(3, prefix: "poison")
        try await proxy.set(["internal": 1.0], only: "poison/")

        let started = ContinuousClock.now
        let result = try await fixture.run(timeout: .seconds(180))
        let elapsed = ContinuousClock.now - started
        #expect(result.status == 2, "partial: \(result.stderr.suffix(2_000))")
        #expect(elapsed < .seconds(150), "bounded: \(elapsed)")
        let work = try #require(result.reports.last?["work"] as? [String: Any])
        #expect((work["copied"] as? Int ?? 0) + (work["already_present"] as? Int ?? 0) == 40, "\(work)")
        #expect(try await fixture.emulator.keys(fixture.backup).count == 40)
        let failed = try await run(Repository.binary, ["failed", "--db", fixture.database], environment: fixture.environment)
        #expect(failed.stdoutText.contains("InternalError"), "\(failed.stdoutText)")
        for index in 0..<3 {
            #expect(failed.stdoutText.contains(BackupFixture.seededKey(index, prefix: "poison")), "\(failed.stdoutText)")
        }
    }
}
