import Foundation
import Queue
import S3
import TestSupport
import Testing

/// Restores and backups over archived objects, with the built binary against moto (which keeps GLACIER and
/// DEEP_ARCHIVE objects unreadable until RestoreObject, then restores at once) behind the fault proxy, which counts
/// every RestoreObject by object and version.
@Suite("archived objects: restored after the lifecycle has run", .timeLimit(.minutes(10)))
struct ArchiveRestoreTests {
    /// A backup of `count` objects of which the first three moved to GLACIER and the next two to DEEP_ARCHIVE (in
    /// place, as a lifecycle does), the primary emptied, and the fixture's requests going through a proxy.
    private func archivedBackup(_ label: String, count: Int = 8, firstCheckSeconds: Int = 1) async throws
        -> (BackupFixture, FaultProxy, archived: [String]) {
        var fixture = try await BackupFixture(label)
        try await fixture.seed(count)
        #expect(try await fixture.run().status == 0)
        let archived = (0..<5).map { BackupFixture.seededKey($0) }
        for (index, key) in archived.enumerated() {
            try await fixture.backupClient.copyObject(from: ObjectLocation(bucket: fixture.backup, key: key, versionID: nil),
                                                      to: fixture.backup, key: key, storageClass: index < 3 ? "GLACIER" : "DEEP_ARCHIVE")
        }
        let keys = try await fixture.emulator.keys(fixture.primary)
        _ = try await fixture.sourceClient.deleteObjects(bucket: fixture.primary, keys.map { ObjectVersionRef(key: $0) })
        let proxy = try await FaultProxy(upstream: fixture.emulator.server.endpoint)
        fixture.environment.merge(["AWS_ENDPOINT_URL": proxy.endpoint,
                                   "S3BACKUP_RETRIEVAL_CHECK_SECONDS": String(firstCheckSeconds)]) { $1 }
        return (fixture, proxy, archived)
    }

    /// Every archived object was asked for exactly once, and nothing else was.
    private func expectAskedOnce(_ proxy: FaultProxy, _ fixture: BackupFixture, _ archived: [String]) async throws {
        let restores = try await proxy.stats().restores
        #expect(restores.count == archived.count, "\(restores)")
        for key in archived {
            let asked = restores.filter { $0.key.hasPrefix("/\(fixture.backup)/\(key)?") }
            #expect(asked.values.reduce(0, +) == 1, "\(key): \(restores)")
        }
    }

    @Test func aRestoreRetrievesEachArchivedObjectOnceAndCopiesItBack() async throws {
        let (fixture, proxy, archived) = try await archivedBackup("archive-restore")
        defer { fixture.remove() }
        let preview = try await fixture.restore(["--dryrun"])
        #expect(preview.status == 0, "\(preview.stderr)")
        for line in ["archived, retrieved before they are copied (Standard; an estimate at AWS's us-east-1 list prices):",
                     "  GLACIER: 3 object(s), ", "typically 3–5 hours, about $", "  DEEP_ARCHIVE: 2 object(s), ",
                     "typically within 12 hours, about $", "  total: about $"] {
            #expect(preview.stdoutText.contains(line), "\(preview.stdoutText)")
        }
        #expect(try await proxy.stats().restores.isEmpty, "a dry run retrieves nothing")
        let restored = try await fixture.restore(["--yes", "--json", "--archive-tier", "bulk"])
        #expect(restored.status == 0, "\(restored.stderr)")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(restored.stdout)) as? [[String: Any]])
        let report = try #require(reports.last)
        #expect(report.int("work", "retrievals_requested") == 5 && report.int("work", "retrieved") == 5, "\(report)")
        #expect(report.int("work", "copied") == 8)
        #expect(report["retrieval_tier"] as? String == "Bulk")
        #expect(restored.stderr.contains("waiting for 5 archived object(s) that S3 is retrieving (Bulk: typically 5–12 hours"))
        try await expectAskedOnce(proxy, fixture, archived)
        try await fixture.expectEqual(sample: archived, backupClass: nil)
        #expect(try await fixture.sourceClient.headObject(bucket: fixture.primary, key: archived[0]).storageClass == "STANDARD")
    }

    /// `--no-wait` asks, copies what is readable and exits 75; the same command later finishes without asking again.
    @Test func aRestoreThatDoesNotWaitExits75AndTheSameCommandFinishes() async throws {
        let (fixture, proxy, archived) = try await archivedBackup("archive-nowait", firstCheckSeconds: 3)
        defer { fixture.remove() }
        let sink = try await MailTests.Sink()
        let first = try await fixture.restore(["--yes", "--no-wait", "--mail-to", "ops@example.test", "--mail-from",
                                               "backup@example.test", "--smtp-url", sink.url])
        #expect(first.status == 75, "\(first.stderr)")
        let mail = try #require(try sink.messages().first)
        #expect(MailTests.Sink.subject(of: mail.text).hasPrefix("[s3backup] WAITING: restore s3://\(fixture.backup) → s3://\(fixture.primary)"),
                "\(MailTests.Sink.subject(of: mail.text))")
        #expect(first.stderr.contains("waits for 5 archived object(s) that S3 is retrieving (Standard: typically 3–5 hours from "
                                      + "GLACIER, within 12 hours from DEEP_ARCHIVE); the same `s3backup restore` command copies them"),
                "\(first.stderr)")
        #expect(try await fixture.emulator.keys(fixture.primary).count == 3, "the readable ones are copied")
        let waiting = try await SQLiteQueue(path: fixture.database).waiting(run: nil)
        #expect(waiting.objects == 5)
        let report = try await run(Repository.binary, ["report", "--db", fixture.database, "--run", "2", "--no-verify"],
                                   environment: fixture.environment)
        #expect(report.stdoutText.contains("archives: 5 retrieval(s) asked (Standard, ") && report.stdoutText.contains(
            "0 copied once retrieved, 5 still being retrieved"), "\(report.stdoutText)")
        #expect(report.stdoutText.contains("done: 3 copied"), "what the waiting task did counts: \(report.stdoutText)")
        // As cron would run it later: after the parked task's check is due.
        try await Task.sleep(for: .seconds(max(0, (waiting.nextCheck ?? Date()).timeIntervalSinceNow) + 0.5))
        let second = try await fixture.restore(["--yes", "--no-wait"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("finishing it first"))
        try await expectAskedOnce(proxy, fixture, archived)
        try await fixture.expectEqual(sample: archived, backupClass: nil)
    }

    /// A restore killed while its retrievals are pending: the same command finishes it, asking S3 for nothing twice.
    @Test func aRestoreKilledWhileWaitingResumesWithoutAskingAgain() async throws {
        let (fixture, proxy, archived) = try await archivedBackup("archive-kill", firstCheckSeconds: 5)
        defer { fixture.remove() }
        let started = try Started(Repository.binary,
                                  ["restore", "--from", "s3://\(fixture.backup)", "--to", "s3://\(fixture.primary)", "--yes",
                                   "--db", fixture.database, "--log-dir", fixture.logDirectory, "--workers", "2",
                                   "--lease-seconds", "2"] + fixture.encryptionFlags,
                                  environment: fixture.environment, output: fixture.directory)
        try await eventually("the restore's task to wait", within: .seconds(60)) { () async throws -> Bool? in
            guard FileManager.default.fileExists(atPath: fixture.database) else { return nil }
            return try await SQLiteQueue(path: fixture.database).waiting(run: nil).objects == 5 ? true : nil
        }
        let status = try await run(Repository.binary, ["status", "--db", fixture.database], environment: fixture.environment)
        #expect(status.stdoutText.contains("  waiting: 1 task(s) for 5 archived object(s) S3 is retrieving; next check 20"),
                "\(status.stdoutText)")
        kill(started.pid, SIGKILL)
        _ = try await started.wait(timeout: .seconds(10))
        try await eventually("the orphaned workers to stop", within: .seconds(60)) {
            ProcessTable.workers(on: fixture.database).isEmpty ? true : nil
        }
        let resumed = try await fixture.restore(["--yes"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try await expectAskedOnce(proxy, fixture, archived)
        try await fixture.expectEqual(sample: archived, backupClass: nil)
    }

    /// A backup over a primary whose own lifecycle archived objects: named and partial by default, retrieved and
    /// copied with `--restore-archived`, and free (no request at all) once equal in the backup.
    @Test func aBackupOverArchivedSourcesNamesThemOrRetrievesThem() async throws {
        var fixture = try await BackupFixture("archive-source")
        defer { fixture.remove() }
        try await fixture.seed(6)
        let archived = (0..<2).map { BackupFixture.seededKey($0) }
        for key in archived {
            try await fixture.sourceClient.copyObject(from: ObjectLocation(bucket: fixture.primary, key: key, versionID: nil),
                                                      to: fixture.primary, key: key, storageClass: "GLACIER")
        }
        let proxy = try await FaultProxy(upstream: fixture.emulator.server.endpoint)
        fixture.environment.merge(["AWS_ENDPOINT_URL": proxy.endpoint, "S3BACKUP_RETRIEVAL_CHECK_SECONDS": "1"]) { $1 }
        let first = try await fixture.run()
        #expect(first.status == 2, "\(first.stderr)")
        let report = try #require(first.reports.last)
        #expect(Set(report["work"].flatMap { ($0 as? [String: Any])?["archived_not_copied"] as? [String] } ?? []) == Set(archived))
        #expect(try await proxy.stats().restores.isEmpty, "nothing retrieved without --restore-archived")
        let second = try await fixture.run(["--restore-archived"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.reports.last?.int("work", "retrieved") == 2)
        let restores = try await proxy.stats().restores
        #expect(restores.count == 2 && restores.values.allSatisfy { $0 == 1 }, "\(restores)")
        try await fixture.expectEqual(sample: archived)
        let third = try await fixture.run(["--restore-archived"])
        #expect(third.status == 0 && third.reports.last?.int("work", "copied") == 0)
        #expect(try await proxy.stats().restores == restores, "equal archived objects cost nothing")
    }
}
