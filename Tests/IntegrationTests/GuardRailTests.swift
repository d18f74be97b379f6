import Foundation
@testable import Queue
import S3
import Testing

/// Plausible mistakes that would lose data: a prefix read as a key prefix, locations that overlap, a primary that
/// keeps shrinking, a backup without versions, an endpoint holding a password. Each is refused or contained, and
/// leaves no run behind.
@Suite("guard rails: nothing lost to a wrong location", .timeLimit(.minutes(10)))
struct GuardRailTests {
    private func put(_ client: S3Client, _ bucket: String, _ keys: [String]) async throws {
        for key in keys { _ = try await client.putObject(bucket: bucket, key: key, body: BytesBody(Array(key.utf8))) }
    }

    private func runs(in database: String) async throws -> Int {
        guard FileManager.default.fileExists(atPath: database) else { return 0 }
        return try await SQLiteQueue(path: database).runs(limit: 100).count
    }

    private func command(_ fixture: BackupFixture, _ arguments: [String]) async throws -> CommandResult {
        try await run(Repository.binary, arguments + ["--db", fixture.database], environment: fixture.environment)
    }

    @Test func aPrefixIsAFolder() async throws {
        let fixture = try await BackupFixture("folder")
        defer { fixture.remove() }
        try await put(fixture.sourceClient, fixture.primary, ["data/a", "data/b", "data-not-mine/c"])
        let precious = (1...3).map { "bk-other-team/precious\($0)" }
        try await put(fixture.backupClient, fixture.backup, precious + ["bk/gone"])
        let result = try await fixture.run(["--source", "s3://\(fixture.primary)/data", "--backup", "s3://\(fixture.backup)/bk",
                                            "--max-delete", "100%", "--max-delete-window", "100%"])
        #expect(result.status == 0, "\(result.stderr)")
        let keys = try await fixture.emulator.keys(fixture.backup)
        #expect(keys == ["bk-other-team/precious1", "bk-other-team/precious2", "bk-other-team/precious3", "bk/a", "bk/b"])
        #expect(result.reports.last?.int("work", "deleted") == 1)
    }

    @Test(arguments: [
        ("s3://B", "s3://B", "are the same location"),
        ("s3://B/data", "s3://B/data/", "are the same location"),
        ("s3://B", "s3://B/backup", "--backup is inside --source"),
        ("s3://B/data/", "s3://B", "--source is inside --backup"),
    ])
    func overlappingLocationsAreRefused(source: String, backup: String, why: String) async throws {
        let fixture = try await BackupFixture("overlap")
        defer { fixture.remove() }
        try await fixture.seed(3)
        let (source, backup) = (source.replacingOccurrences(of: "B", with: fixture.primary),
                                backup.replacingOccurrences(of: "B", with: fixture.primary))
        let locations = ["--source", source, "--backup", backup]
        for arguments in [["run", "--log-dir", fixture.logDirectory] + locations, ["plan"] + locations] {
            let result = try await command(fixture, arguments)
            #expect(result.status == 64, "\(arguments[0]): \(result.stderr)")
            #expect(errorLine(result).contains(why), "\(result.stderr)")
        }
        let verify = try await run(Repository.binary, ["verify", "--source", source, "--backup", backup], environment: fixture.environment)
        #expect(verify.status == 64, "\(verify.stderr)")
        let restore = try await command(fixture, ["restore", "--from", backup, "--to", source, "--yes", "--log-dir", fixture.logDirectory])
        #expect(restore.status == 64, "\(restore.stderr)")
        #expect(errorLine(restore).contains("--from"), "\(restore.stderr)")
        #expect(try await runs(in: fixture.database) == 0)
        #expect(try await fixture.emulator.keys(fixture.primary).count == 3, "nothing copied or deleted")
    }

    @Test func aCapOverSeveralNights() async throws {
        let fixture = try await BackupFixture("window")
        defer { fixture.remove() }
        try await fixture.seed(40)
        let window = ["--max-delete-window", "15%"]
        #expect(try await fixture.run(window).status == 0)
        var keys = try await fixture.emulator.keys(fixture.primary)
        func shrink(by count: Int) async throws {
            _ = try await fixture.sourceClient.deleteObjects(bucket: fixture.primary, keys.prefix(count).map { ObjectVersionRef(key: $0) })
            keys.removeFirst(count)
        }
        try await shrink(by: 4)
        let first = try await fixture.run(window)
        #expect(first.status == 0, "4 of 40 is within 10 % a night and 15 % a window: \(first.stderr)")
        #expect(first.reports.last?.int("work", "deleted") == 4)
        try await shrink(by: 3)
        let second = try await fixture.run(window)
        #expect(second.status == 3, "4 + 3 of 40 is over 15 % a window: \(second.stderr)")
        let note = second.reports.last?["deletes_refused"] as? String ?? ""
        #expect(note.contains("4 objects deleted from the backup in the last 7 days and 3 now would make 7 of the 40"), "\(note)")
        #expect(try await fixture.emulator.keys(fixture.backup).count == 36)
        let wider = try await fixture.run(["--max-delete-window", "20%"])
        #expect(wider.status == 0, "\(wider.stderr)")
        #expect(try await fixture.emulator.keys(fixture.backup).count == 33)
    }

    @Test func anUnversionedBackupIsRefused() async throws {
        let fixture = try await BackupFixture("unversioned", versioned: false)
        defer { fixture.remove() }
        try await fixture.seed(3)
        let refused = try await fixture.run()
        #expect(refused.status == 78, "\(refused.stderr)")
        #expect(errorLine(CommandResult(status: refused.status, stdout: [], stderr: refused.stderr))
                    .contains("keeps no versions (versioning is off)") && refused.stderr.contains("run `s3backup setup`"))
        #expect(try await runs(in: fixture.database) == 0)
        try await fixture.backupClient.putBucketVersioning(fixture.backup, enabled: false)
        let suspended = try await fixture.run()
        #expect(suspended.status == 78 && suspended.stderr.contains("versioning is suspended"), "\(suspended.stderr)")
        let allowed = try await fixture.run(["--allow-unversioned"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        try await fixture.expectEqual(sample: [])
    }

    @Test func anEndpointWithAPasswordIsRefusedUnshown() async throws {
        let fixture = try await BackupFixture("userinfo")
        defer { fixture.remove() }
        let endpoint = fixture.emulator.server.endpoint.replacingOccurrences(of: "://", with: "://operator:pa@ss-SECRET-MARKER@")
        let result = try await fixture.run(["--endpoint-url", endpoint])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("holds a user name or password") && result.stderr.contains("http://***@"), "\(result.stderr)")
        #expect(!result.stderr.contains("SECRET-MARKER") && !result.stderr.contains("operator"))
        #expect(try await runs(in: fixture.database) == 0)
    }

    @Test func anUnfinishedRunIsCancelled() async throws {
        let fixture = try await BackupFixture("cancel")
        defer { fixture.remove() }
        try await fixture.seed(5)
        let plan = try await command(fixture, ["plan", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)"])
        #expect(plan.status == 0, "\(plan.stderr)")
        let cancel = try await command(fixture, ["cancel", "--run", "1"])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(cancel.stdoutText.contains("cancelled run 1 (it was running); removed 1 queued task"), "\(cancel.stdoutText)")
        #expect(try await SQLiteQueue(path: fixture.database).run(1).state == .cancelled)
        let again = try await command(fixture, ["cancel", "--run", "1"])
        #expect(again.status == 64 && errorLine(again).contains("run 1 cannot be cancelled: it is cancelled already"), "\(again.stderr)")
        let unknown = try await command(fixture, ["cancel", "--run", "9"])
        #expect(unknown.status == 64 && errorLine(unknown).contains("there is no run 9"), "\(unknown.stderr)")
        let next = try await fixture.run()
        #expect(next.status == 0, "\(next.stderr)")
        #expect(!next.stderr.contains("unfinished: finishing it first"))
        #expect(next.reports.count == 1)
        try await fixture.expectEqual(sample: [])
    }
}
