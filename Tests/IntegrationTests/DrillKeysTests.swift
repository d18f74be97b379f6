import Backup
import Foundation
import S3
import Testing

/// A failed recovery drill names the keys that differ, not only how many.
@Suite("s3backup verify names the differing keys, against moto", .timeLimit(.minutes(10)))
struct DrillKeysTests {
    /// 23 keys missing in the backup, 1 different, 1 only in the backup: the text names the first 20 of each kind and
    /// counts the rest; JSON names every one.
    @Test func aFailedDrillNamesTheKeys() async throws {
        let fixture = try await BackupFixture("drill-keys")
        defer { fixture.remove() }
        try await fixture.seed(30)
        #expect(try await fixture.run().status == 0)
        let missing = (0..<23).map { BackupFixture.seededKey($0) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        _ = try await fixture.backupClient.deleteObjects(bucket: fixture.backup, missing.map { ObjectVersionRef(key: $0) })
        let different = BackupFixture.seededKey(25)
        try await fixture.backupClient.putObject(bucket: fixture.backup, key: different, body: BytesBody([0]))
        let extra = "only/in the backup"
        try await fixture.backupClient.putObject(bucket: fixture.backup, key: extra, body: BytesBody([1]))

        let arguments = ["verify", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)"]
        let text = try await run(Repository.binary, arguments, environment: fixture.environment)
        #expect(text.status == 1, "\(text.stderr)")
        let output = text.stdoutText
        #expect(output.contains("keys: 6 equal, 23 missing in the backup, 1 different, 1 only in the backup"), "\(output)")
        #expect(output.contains("missing in the backup: " + missing.prefix(20).map(\.debugDescription).joined(separator: ", ")
            + " … and 3 more (the first 20 are shown; --json lists up to 100,000 of each kind)"), "\(output)")
        #expect(!output.contains(missing[20].debugDescription))
        #expect(output.contains("different: \(different.debugDescription)"), "\(output)")
        #expect(output.contains("only in the backup: \(extra.debugDescription)"), "\(output)")

        let document = try await run(Repository.binary, arguments + ["--json"], environment: fixture.environment)
        #expect(document.status == 1)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(document.stdout)) as? [String: Any])
        let keys = try #require(result["differing_keys"] as? [String: [String: Any]], "\(document.stdoutText)")
        #expect(keys["missing"]?["keys"] as? [String] == missing)
        #expect(keys["missing"]?["total"] as? Int == 23)
        #expect(keys["different"]?["keys"] as? [String] == [different])
        #expect(keys["extra"]?["keys"] as? [String] == [extra])

        // A drill that passes names nothing.
        #expect(try await fixture.run(["--max-delete", "100%", "--max-delete-window", "100%"]).status == 0)
        let good = try await run(Repository.binary, arguments, environment: fixture.environment)
        #expect(good.status == 0, "\(good.stdoutText)")
        #expect(!good.stdoutText.contains("missing in the backup:"))
    }

    /// A backup of 6 objects whose first ones the lifecycle moved, in place, to `classes`.
    private func archivedBackup(_ label: String, classes: [String]) async throws -> BackupFixture {
        let fixture = try await BackupFixture(label)
        try await fixture.seed(6)
        #expect(try await fixture.run().status == 0)
        for (index, storageClass) in classes.enumerated() {
            let key = BackupFixture.seededKey(index)
            try await fixture.backupClient.copyObject(from: ObjectLocation(bucket: fixture.backup, key: key, versionID: nil),
                                                      to: fixture.backup, key: key, storageClass: storageClass)
        }
        return fixture
    }

    /// Backup objects the lifecycle moved to GLACIER (moto then refuses to read them until restored, as S3 does):
    /// the drill compares them by key, size and ETag, samples bodies among the readable ones, says how many it
    /// left out, and passes (it used to fail, and exit 77 as if the credentials were wrong).
    @Test func aDrillOverArchivedObjectsPassesAndSaysWhatItSkipped() async throws {
        let fixture = try await archivedBackup("drill-archived", classes: Array(repeating: "GLACIER", count: 4))
        defer { fixture.remove() }
        let drill = try await run(Repository.binary, ["verify", "--source", "s3://\(fixture.primary)", "--backup",
                                                      "s3://\(fixture.backup)", "--sample", "6", "--json"],
                                  environment: fixture.environment)
        #expect(drill.status == 0, "\(drill.stdoutText) \(drill.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(drill.stdout)) as? [String: Any], "\(drill.stdoutText)")
        #expect(result["archived_not_sampled"] as? Int == 4, "\(drill.stdoutText)")
        #expect((result["sampled"] as? [String])?.count == 2)
        #expect((result["body_mismatches"] as? [String]) == [])
    }

    /// With `--sample-archived`, the chosen objects archived in the backup are retrieved (Bulk, once each) and their
    /// bodies compared when they arrive.
    @Test func aDrillThatSamplesArchivedObjectsRetrievesAndComparesThem() async throws {
        var fixture = try await archivedBackup("drill-sample-archived", classes: ["GLACIER", "GLACIER", "DEEP_ARCHIVE", "DEEP_ARCHIVE"])
        defer { fixture.remove() }
        let proxy = try await FaultProxy(upstream: fixture.emulator.server.endpoint)
        fixture.environment.merge(["AWS_ENDPOINT_URL": proxy.endpoint, "S3BACKUP_RETRIEVAL_CHECK_SECONDS": "1"]) { $1 }
        let drill = try await run(Repository.binary, ["verify", "--source", "s3://\(fixture.primary)", "--backup",
                                                      "s3://\(fixture.backup)", "--sample", "6", "--sample-archived", "--json"],
                                  environment: fixture.environment)
        #expect(drill.status == 0, "\(drill.stdoutText) \(drill.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(drill.stdout)) as? [String: Any], "\(drill.stdoutText)")
        #expect(result["archived_sampled"] as? Int == 4 && result["retrievals_requested"] as? Int == 4, "\(drill.stdoutText)")
        #expect(result["archived_not_sampled"] as? Int == 0 && (result["sampled"] as? [String])?.count == 6)
        #expect(drill.stderr.contains("drill: waiting for 4 sampled archived object(s) that S3 is retrieving (Bulk: "))
        let restores = try await proxy.stats().restores
        #expect(restores.count == 4 && restores.values.allSatisfy { $0 == 1 }, "\(restores)")
    }
}
