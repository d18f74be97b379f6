import Backup
import Foundation
import S3
import Spawn
import TestSupport
import Testing

@Suite("s3backup restore against moto and RGW", .timeLimit(.minutes(10)))
struct RestoreTests {
    /// Three moments of a primary, each backed up into a versioned backup; restoring to each moment gives exactly
    /// the primary of that moment: keys, bodies, metadata.
    @Test(arguments: Provider.allCases)
    func pointInTimeRestoresEachMoment(provider: Provider) async throws {
        let fixture = try await BackupFixture("asof", provider: provider)
        defer { fixture.remove() }
        let client = fixture.sourceClient, primary = fixture.primary
        func put(_ key: String, _ body: String) async throws {
            try await client.putObject(bucket: primary, key: key, body: BytesBody(Array(body.utf8)),
                                       options: WriteOptions(metadata: ObjectMetadata(contentType: "text/plain", user: ["body": body])))
        }
        func state() async throws -> [String: String] {
            var out: [String: String] = [:]
            for key in try await fixture.emulator.keys(primary) {
                let sink = BytesSink()
                let info = try await client.getObject(bucket: primary, key: key, to: sink)
                out[key] = String(decoding: sink.bytes, as: UTF8.self) + "|" + (info.metadata.user["body"] ?? "")
            }
            return out
        }
        var moments: [(String, [String: String])] = []
        func moment() async throws {
            #expect(try await fixture.run(["--max-delete", "100%", "--max-delete-window", "100%"]).status == 0)
            moments.append((S3Time.string(try await WholeSeconds.momentBetweenWrites()), try await state()))
        }
        try await put("a", "a1"); try await put("b", "b1"); try await put("dir/c", "c1")
        try await moment()
        try await put("a", "a2"); try await client.deleteObject(bucket: primary, key: "b"); try await put("dir/d", "d2")
        try await moment()
        try await put("a", "a3"); try await put("b", "b3")
        try await moment()
        #expect(moments.map { $0.1.count } == [3, 3, 4])

        for (time, expected) in moments + moments.reversed() {
            let result = try await fixture.restore(["--yes", "--delete", "--as-of", time])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try await state() == expected, "the primary as of \(time)")
        }
        let bad = try await fixture.restore(["--yes", "--as-of", "yesterday"])
        #expect(bad.status == 64)
    }

    @Test func keysFromAFileAndAKilledRestoreResumed() async throws {
        let fixture = try await BackupFixture("restore-keys")
        defer { fixture.remove() }
        try await fixture.seed(400)
        #expect(try await fixture.run().status == 0)
        let all = try await fixture.emulator.keys(fixture.primary)
        _ = try await fixture.sourceClient.deleteObjects(bucket: fixture.primary, all.map { ObjectVersionRef(key: $0) })

        let list = fixture.directory.appendingPathComponent("keys.txt").path
        try "\(all[5])\n\(all[7])\n".write(toFile: list, atomically: true, encoding: .utf8)
        #expect(try await fixture.restore(["--yes", "--keys-from", list]).status == 0)
        #expect(try await fixture.emulator.keys(fixture.primary) == [all[5], all[7]])

        // kill -9 a full restore and its workers mid-way; the same command then finishes it.
        let process = try ChildProcess(Repository.binary.path, [
            "restore", "--from", "s3://\(fixture.backup)", "--to", "s3://\(fixture.primary)", "--db", fixture.database,
            "--log-dir", fixture.logDirectory, "--lease-seconds", "2", "--workers", "2", "--concurrency", "2", "--yes",
        ], environment: fixture.environment, stdin: .null, stdout: .null, stderr: .null)
        try await eventually("the restore's workers", within: .seconds(60)) {
            ProcessTable.workers(on: fixture.database).isEmpty ? nil : true
        }
        _ = shellRun("pkill -9 -P \(process.pid)")
        process.signal(SIGKILL)
        process.waitUntilExit()
        #expect(try await fixture.emulator.keys(fixture.primary).count < all.count, "killed before the end")
        let resumed = try await fixture.restore(["--yes"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try await fixture.expectEqual(sample: [])
    }

    @Test(arguments: Provider.allCases)
    func fullAndPartialRestores(provider: Provider) async throws {
        let fixture = try await BackupFixture("restore", provider: provider)
        defer { fixture.remove() }
        try await fixture.seed(60)
        try await fixture.seedAwkward()
        #expect(try await fixture.run().status == 0)
        let original = try await fixture.listing(fixture.sourceClient, fixture.primary)

        // Disaster: objects deleted and overwritten in the primary, a new one added.
        let lost = (0..<10).map { BackupFixture.seededKey($0) }
        _ = try await fixture.sourceClient.deleteObjects(bucket: fixture.primary, lost.map { ObjectVersionRef(key: $0) })
        try await fixture.sourceClient.putObject(bucket: fixture.primary, key: awkwardKeys[3], body: BytesBody(Array("scribbled".utf8)))
        try await fixture.sourceClient.putObject(bucket: fixture.primary, key: "written-after", body: BytesBody([1]))

        // Without a terminal and without --yes nothing happens.
        let unconfirmed = try await fixture.restore([])
        #expect(unconfirmed.status == 64)
        #expect(unconfirmed.stderr.contains("--yes"))
        let dry = try await fixture.restore(["--dryrun"])
        #expect(dry.status == 0)
        #expect(dry.stdoutText.contains("10 to copy, 1 to overwrite"))
        #expect(try await fixture.emulator.keys(fixture.primary).count == 60 + awkwardKeys.count + 1 - 10 + 1)

        // A partial restore touches only its prefix.
        let partial = try await fixture.restore(["--yes", "--prefix", "clients/000/"])
        #expect(partial.status == 0, "\(partial.stderr)")
        let afterPartial = try await fixture.listing(fixture.sourceClient, fixture.primary)
        #expect(afterPartial[Array(BackupFixture.seededKey(0).utf8)] != nil)
        #expect(afterPartial[Array(BackupFixture.seededKey(1).utf8)] == nil)

        // A full restore brings back the rest and never deletes in the primary.
        let full = try await fixture.restore(["--yes"])
        #expect(full.status == 0, "\(full.stderr)")
        var now = try await fixture.listing(fixture.sourceClient, fixture.primary)
        #expect(now[Array("written-after".utf8)] != nil, "without --delete nothing in the primary is deleted")
        now[Array("written-after".utf8)] = nil
        #expect(now.count == original.count)
        for (key, value) in original { #expect(now[key]?.1 == value.1, "\(String(decoding: key, as: UTF8.self))") }
        let head = try await fixture.sourceClient.headObject(bucket: fixture.primary, key: awkwardKeys[3])
        #expect(head.metadata.user["index"] == "3", "metadata restored")
        #expect(head.storageClass == "STANDARD")

        // With --delete the primary becomes exactly the backup.
        #expect(try await fixture.restore(["--yes", "--delete"]).status == 0)
        #expect(try await fixture.listing(fixture.sourceClient, fixture.primary)[Array("written-after".utf8)] == nil)
    }
}
