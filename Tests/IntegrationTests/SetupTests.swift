import Backup
import Foundation
import S3
import Testing

@Suite("s3backup setup against moto and RGW", .timeLimit(.minutes(10)))
struct SetupTests {
    private func setup(_ fixture: BackupFixture, _ extra: [String]) async throws -> CommandResult {
        try await run(Repository.binary, ["setup", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)"] + extra,
                      environment: fixture.environment)
    }

    @Test(arguments: Provider.allCases)
    func setupThenCheckThenDriftThenRepair(provider: Provider) async throws {
        let fixture = try await BackupFixture("setup", provider: provider)
        defer { fixture.remove() }
        let before = try await setup(fixture, ["--check"])
        #expect(before.status == 1)
        #expect(before.stdoutText.contains("versioning is unversioned"))

        let applied = try await setup(fixture, [])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdoutText.contains("no drift"))
        #expect(try await fixture.sourceClient.getBucketVersioning(fixture.primary) == .enabled)
        #expect(try await fixture.backupClient.getBucketVersioning(fixture.backup) == .enabled)
        let rule = try #require(try await fixture.backupClient.getBucketLifecycle(fixture.backup)?.child("Rule"))
        #expect(rule.text("ID") == "s3backup-tiering")
        #expect(rule.find("NoncurrentDays")?.text == "90")
        #expect(rule.find("DaysAfterInitiation")?.text == "7")
        #expect(try await fixture.sourceClient.getBucketLifecycle(fixture.primary) == nil, "the primary keeps its own lifecycle")
        #expect(try await setup(fixture, ["--check"]).status == 0)
        #expect(try await setup(fixture, []).status == 0, "idempotent")

        // Someone edits the rule by hand.
        try await fixture.backupClient.putBucketLifecycle(fixture.backup, xml: """
            <LifecycleConfiguration><Rule><ID>s3backup-tiering</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>\
            <Transition><Days>10</Days><StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>
            """)
        let drifted = try await setup(fixture, ["--check", "--json"])
        #expect(drifted.status == 1)
        #expect(drifted.stdoutText.contains("lifecycle rule \\\"s3backup-tiering\\\" differs from the policy"))
        #expect(try await setup(fixture, []).status == 0)
        #expect(try await setup(fixture, ["--check"]).status == 0)
    }

    @Test func otherRulesAreKeptUnlessReplaced() async throws {
        let fixture = try await BackupFixture("merge")
        defer { fixture.remove() }
        try await fixture.backupClient.putBucketLifecycle(fixture.backup, xml: """
            <LifecycleConfiguration><Rule><ID>keep-me</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status>\
            <Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>
            """)
        #expect(try await setup(fixture, []).status == 0)
        var ids = try await fixture.backupClient.getBucketLifecycle(fixture.backup)?.children("Rule").compactMap { $0.text("ID") }
        #expect(Set(ids ?? []) == ["keep-me", "s3backup-tiering"])
        #expect(try await setup(fixture, ["--replace"]).status == 0)
        ids = try await fixture.backupClient.getBucketLifecycle(fixture.backup)?.children("Rule").compactMap { $0.text("ID") }
        #expect(ids == ["s3backup-tiering"])
    }

    @Test func theBuiltInPolicyIsTheOpsFile() throws {
        let file = Repository.root.appendingPathComponent("ops/lifecycle-policy.json")
        #expect(try String(contentsOf: file, encoding: .utf8) == DefaultPolicy.json + "\n")
        let rules = try LifecycleRule.policy(Data(DefaultPolicy.json.utf8), source: "built-in")
        #expect(rules.map(\.id) == ["s3backup-tiering"])
        #expect(rules.first?.transitions.map(\.storageClass) == ["STANDARD_IA", "GLACIER", "DEEP_ARCHIVE"])
        // A filter the model cannot carry is refused, never applied as a whole-bucket rule.
        let tagged = #"{"Rules": [{"ID": "x", "Status": "Enabled", "Filter": {"Tag": {"Key": "k", "Value": "v"}}, "Expiration": {"Days": 1}}]}"#
        let error = #expect(throws: SetupError.self) { try LifecycleRule.policy(Data(tagged.utf8), source: "p.json") }
        #expect(error?.description.contains("\"Tag\"") == true)
    }
}

@Suite("s3backup verify, the recovery drill", .timeLimit(.minutes(10)))
struct VerifyTests {
    @Test(arguments: Provider.allCases)
    func theDrillPassesOnAnExactBackupAndFailsOnADamagedOne(provider: Provider) async throws {
        let fixture = try await BackupFixture("drill", provider: provider)
        defer { fixture.remove() }
        try await fixture.seed(25)
        #expect(try await fixture.run().status == 0)
        let arguments = ["verify", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)", "--sample", "25", "--json"]
        let good = try await run(Repository.binary, arguments, environment: fixture.environment)
        #expect(good.status == 0, "\(good.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(good.stdout)) as? [String: Any])
        #expect((json["sampled"] as? [String])?.count == 25)
        #expect((json["body_mismatches"] as? [String])?.isEmpty == true)

        try await fixture.backupClient.putObject(bucket: fixture.backup, key: BackupFixture.seededKey(4), body: BytesBody([0]))
        let bad = try await run(Repository.binary, Array(arguments.dropLast()), environment: fixture.environment)
        #expect(bad.status == 1)
        #expect(bad.stdoutText.contains("drill FAILED"))
        #expect(bad.stdoutText.contains("1 different"))
        #expect(bad.stdoutText.contains(BackupFixture.seededKey(4)))
    }
}
