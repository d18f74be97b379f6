import Foundation
import S3
import SigV4
import TestSupport
import Testing

/// The policies in ops/iam, enforced by a moto server that checks every request against the IAM policy of the user
/// whose key signed it: each command works with its role's key, and neither the nightly key nor the restore key can
/// change what keeps the backup's history (its versioning and lifecycle).
@Suite("IAM roles under moto's IAM enforcement", .timeLimit(.minutes(5)))
struct IAMPolicyTests {
    /// `setup` (and `setup --check`) works with the setup role's key; the nightly key cannot set up, and the setup
    /// key touches no object.
    @Test func setupTakesTheSetupRole() async throws {
        let world = try await IAMWorld("iam-setup")
        defer { world.remove() }
        let refused = try await world.s3backup(.nightly, world.setupArguments)
        #expect(refused.status == 77, "\(refused.stderr)")
        #expect(refused.stderr.contains("AccessDenied"), "\(refused.stderr)")

        let applied = try await world.s3backup(.setup, world.setupArguments)
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdoutText.contains("no drift"))
        #expect(try await world.admin.getBucketVersioning(world.primary) == .enabled)
        #expect(try await world.admin.getBucketVersioning(world.backup) == .enabled)
        #expect(try await world.admin.getBucketLifecycle(world.backup)?.find("NoncurrentDays")?.text == "90")
        let checked = try await world.s3backup(.setup, world.setupArguments + ["--check"])
        #expect(checked.status == 0, "\(checked.stderr)")

        await IAMWorld.expectDenied("PutObject with the setup key") {
            try await world.client(.setup).putObject(bucket: world.backup, key: "x", body: BytesBody([1]))
        }
    }

    /// The nightly key runs `run` (new, changed and deleted objects, a multipart object with tags), `report` and
    /// `verify`, and is refused the calls that would wipe the backup's history: a short noncurrent expiry, or
    /// versioning suspended, on either bucket. The buckets' settings are as setup left them afterwards.
    @Test func theNightlyRoleBacksUpButCannotRewriteHistory() async throws {
        let world = try await IAMWorld("iam-nightly")
        defer { world.remove() }
        try await world.prepare()
        let first = try await world.backUp()
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.reports.last?.int("work", "copied") == IAMWorld.seeded)

        try await world.admin.putObject(bucket: world.primary, key: "a/0", body: BytesBody(Array("changed".utf8)))
        try await world.admin.deleteObject(bucket: world.primary, key: "b/1")
        let second = try await world.backUp(["--max-delete", "100%"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.reports.last?.int("work", "copied") == 1)
        #expect(second.reports.last?.int("work", "deleted") == 1)

        let report = try await world.s3backup(.nightly, ["report", "--db", world.database])
        #expect(report.status == 0, "\(report.stderr)")
        // The nightly key may list the backup's versions (the tamper report does): --count-versions prices them.
        let counted = try await world.s3backup(.nightly, ["report", "--db", world.database, "--no-verify", "--count-versions"])
        #expect(counted.status == 0, "\(counted.stderr)")
        #expect(!counted.stderr.contains("--count-versions") && !counted.stdoutText.contains("noncurrent versions not counted"),
                "\(counted.stderr)\(counted.stdoutText)")
        let drill = try await world.s3backup(.nightly, ["verify", "--source", "s3://\(world.primary)", "--backup", "s3://\(world.backup)",
                                                         "--sample", "4"])
        #expect(drill.status == 0, "\(drill.stderr)\(drill.stdoutText)")

        let nightly = world.client(.nightly)
        for bucket in [world.backup, world.primary] {
            await IAMWorld.expectDenied("PutBucketLifecycleConfiguration on \(bucket) with the nightly key") {
                try await nightly.putBucketLifecycle(bucket, xml: IAMWorld.historyWipe)
            }
            await IAMWorld.expectDenied("PutBucketVersioning on \(bucket) with the nightly key") {
                try await nightly.putBucketVersioning(bucket, enabled: false)
            }
        }
        let version = try #require(try await world.admin.headObject(bucket: world.backup, key: "a/0").versionID)
        await IAMWorld.expectDenied("DeleteObject with a VersionId with the nightly key") {
            try await nightly.deleteObject(bucket: world.backup, key: "a/0", versionID: version)
        }
        #expect(try await world.admin.headObject(bucket: world.backup, key: "a/0").versionID == version, "history is intact")
        let intact = try await world.s3backup(.setup, world.setupArguments + ["--check"])
        #expect(intact.status == 0, "versioning and lifecycle as setup left them: \(intact.stdoutText)\(intact.stderr)")
    }

    /// The restore key restores the backup as of a moment (from its versions) into the primary, and is refused every
    /// change to the backup: its settings, its objects, its versions.
    @Test func theRestoreRoleRestoresButCannotTouchTheBackup() async throws {
        let world = try await IAMWorld("iam-restore")
        defer { world.remove() }
        try await world.prepare()
        let backedUp = try await world.backUp()
        #expect(backedUp.status == 0, "\(backedUp.stderr)")

        try await world.admin.deleteObject(bucket: world.primary, key: "a/0")
        try await world.admin.putObject(bucket: world.primary, key: "a/2", body: BytesBody(Array("damaged".utf8)))
        let restored = try await world.s3backup(.restore, [
            "restore", "--from", "s3://\(world.backup)", "--to", "s3://\(world.primary)", "--db", world.directory.appendingPathComponent("restore.db").path,
            "--yes", "--as-of", "2100-01-01T00:00:00Z", "--workers", "2", "--lease-seconds", "2", "--log-dir", world.logDirectory,
        ], timeout: .seconds(180))
        #expect(restored.status == 0, "\(restored.stderr)")
        for key in ["a/0", "a/2"] {
            let body = BytesSink()
            try await world.admin.getObject(bucket: world.primary, key: key, to: body)
            #expect(String(decoding: body.bytes, as: UTF8.self) == IAMWorld.body(key), "\(key) restored")
        }

        let restore = world.client(.restore)
        let version = try #require(try await world.admin.headObject(bucket: world.backup, key: "a/0").versionID)
        await IAMWorld.expectDenied("PutBucketLifecycleConfiguration with the restore key") {
            try await restore.putBucketLifecycle(world.backup, xml: IAMWorld.historyWipe)
        }
        await IAMWorld.expectDenied("PutBucketVersioning with the restore key") {
            try await restore.putBucketVersioning(world.backup, enabled: false)
        }
        await IAMWorld.expectDenied("DeleteObject with the restore key") {
            try await restore.deleteObject(bucket: world.backup, key: "a/0")
        }
        await IAMWorld.expectDenied("DeleteObject with a VersionId with the restore key") {
            try await restore.deleteObject(bucket: world.backup, key: "a/0", versionID: version)
        }
        await IAMWorld.expectDenied("PutObject with the restore key") {
            try await restore.putObject(bucket: world.backup, key: "a/0", body: BytesBody([0]))
        }
        #expect(try await world.admin.headObject(bucket: world.backup, key: "a/0").versionID == version, "the backup is untouched")
    }
}

extension IAMPolicyTests {
    /// Under Object Lock, set up with the setup key: the nightly key's copies are locked, and it can neither delete a
    /// locked version, nor change the recorded policy or the lock configuration; the restore key cannot lock or
    /// unlock anything; a restore and a drill still work.
    @Test func underObjectLockTheNightlyKeyLocksAndCannotUnlock() async throws {
        let world = try await IAMWorld("iam-lock")
        defer { world.remove() }
        try await world.prepare(["--object-lock", "governance", "--retention-days", "7"])
        let started = Date()
        let backedUp = try await world.backUp()
        #expect(backedUp.status == 0, "\(backedUp.stderr)")
        #expect(!backedUp.stderr.contains("not locked"), "\(backedUp.stderr)")
        let head = try await world.admin.headObject(bucket: world.backup, key: "big/two-parts.bin")
        #expect(head.retention?.mode == .governance && (head.retention?.until ?? .distantPast) >= started.addingTimeInterval(7 * 86_400),
                "\(String(describing: head.retention))")

        let nightly = world.client(.nightly), restore = world.client(.restore)
        let version = try #require(head.versionID)
        await IAMWorld.expectDenied("DeleteObject of a locked version with the nightly key") {
            try await nightly.deleteObject(bucket: world.backup, key: "big/two-parts.bin", versionID: version)
        }
        await IAMWorld.expectDenied("PutBucketTagging (the recorded policy) with the nightly key") {
            try await nightly.putBucketTagging(world.backup, tags: [])
        }
        await IAMWorld.expectDenied("PutObjectLockConfiguration with the nightly key") {
            try await nightly.enableObjectLock(world.backup)
        }
        await IAMWorld.expectDenied("PutObjectRetention with the restore key") {
            try await restore.putObjectRetention(bucket: world.backup, key: "big/two-parts.bin", versionID: version,
                                                 retention: ObjectRetention(mode: .governance, until: Date().addingTimeInterval(60)))
        }
        // The drill is the tamper report too, with the nightly key's own permissions.
        let drill = try await world.s3backup(.nightly, ["verify", "--source", "s3://\(world.primary)", "--backup", "s3://\(world.backup)",
                                                         "--sample", "4", "--db", world.database])
        #expect(drill.status == 0, "\(drill.stderr)\(drill.stdoutText)")
        #expect(drill.stdoutText.contains("object lock (GOVERNANCE, 7 days): ") && drill.stdoutText.contains(" 0 not locked, 0 locked too briefly"),
                "\(drill.stdoutText)")
        try await world.admin.deleteObject(bucket: world.primary, key: "a/0")
        let restored = try await world.s3backup(.restore, [
            "restore", "--from", "s3://\(world.backup)", "--to", "s3://\(world.primary)", "--db", world.directory.appendingPathComponent("restore.db").path,
            "--yes", "--workers", "2", "--lease-seconds", "2", "--log-dir", world.logDirectory,
        ], timeout: .seconds(180))
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(try await world.admin.headObject(bucket: world.primary, key: "a/0").size > 0)
        let intact = try await world.s3backup(.setup, world.setupArguments + ["--check"])
        #expect(intact.status == 0 && intact.stdoutText.contains("no drift"), "\(intact.stdoutText)\(intact.stderr)")

        // A stolen nightly key with x-amz-bypass-governance-retention: deleting the version is refused. Shortening
        // its lock AWS refuses too (no s3:BypassGovernanceRetention); moto checks PutObjectRetention as s3:PutObject
        // and takes a shorter date, so there the tamper report must name the version.
        let bypass = { (user: String) in try await world.boto(user, IAMWorld.bypassGovernance, [world.backup, "a/0"]) }
        let stolen = try await bypass(IAMWorld.Role.nightly.rawValue)
        let codes = stolen.stdoutText.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(codes.count == 2 && codes.last == "AccessDenied", "shorten, delete: \(stolen.stdoutText)\(stolen.stderr)")
        let audited = try await world.s3backup(.nightly, ["verify", "--source", "s3://\(world.primary)", "--backup", "s3://\(world.backup)",
                                                           "--sample", "0", "--db", world.database])
        if codes.first == "ok" {
            #expect(audited.status == 1 && audited.stdoutText.contains("0 not locked, 1 locked too briefly")
                        && audited.stdoutText.contains("locked too briefly: \"a/0\""), "\(audited.stdoutText)\(audited.stderr)")
        } else {
            #expect(codes.first == "AccessDenied" && audited.status == 0, "\(stolen.stdoutText)\(audited.stdoutText)\(audited.stderr)")
        }
        // The admin, who holds the bypass, may do both: the nightly key's refusal is its policy's.
        let administered = try await bypass("admin")
        #expect(administered.stdoutText == "ok ok\n", "\(administered.stdoutText)\(administered.stderr)")
    }
}

/// A moto server of its own (IAM enforcement is a setting of the whole server) with an admin user and a user per
/// role in ops/iam, each with its policy file as its only policy, and two buckets the policies name.
struct IAMWorld {
    /// The roles, by their policy file's name.
    enum Role: String, CaseIterable {
        case nightly = "backup", setup, restore
    }

    let server: HelperServer
    let directory: URL
    let primary: String
    let backup: String
    /// Access key id and secret per user ("admin" and each role's file name).
    let keys: [String: (id: String, secret: String)]
    /// A client with the admin's key: everything allowed.
    let admin: S3Client

    /// The policies' placeholders and what they become here (the longer placeholders first: KEY-ID is in PRIMARY-KEY-ID).
    static func placeholders(primary: String, backup: String) -> [(String, String)] {
        [("PRIMARY-BUCKET", primary), ("BACKUP-BUCKET", backup), ("PRIMARY-REGION", "us-east-2"), ("BACKUP-REGION", "us-west-2"),
         ("ACCOUNT-ID", "123456789012"), ("PRIMARY-KEY-ID", "primary-key"), ("KEY-ID", "backup-key")]
    }

    /// The server, the users (ops/test/iam_users.py: moto lets its first three requests through unchecked, which
    /// make the admin), and the buckets, made with the admin's key.
    init(_ label: String) async throws {
        server = try await HelperServer(script: "emulator.py", arguments: ["INITIAL_NO_AUTH_ACTION_COUNT=3"])
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("s3backup-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        primary = Emulator.uniqueBucket("\(label)-p")
        backup = Emulator.uniqueBucket("\(label)-b")
        var arguments = ["python3", Repository.root.appendingPathComponent("ops/test/iam_users.py").path, server.endpoint]
        let placeholders = IAMWorld.placeholders(primary: primary, backup: backup)
        for role in Role.allCases {
            var policy = try String(contentsOf: Repository.root.appendingPathComponent("ops/iam/\(role.rawValue)-role.json"), encoding: .utf8)
            for (placeholder, value) in placeholders { policy = policy.replacingOccurrences(of: placeholder, with: value) }
            #expect(policy.range(of: "[A-Z]+-[A-Z]+", options: .regularExpression) == nil, "\(role.rawValue)-role.json: a placeholder left")
            let file = directory.appendingPathComponent("\(role.rawValue).json")
            try IAMWorld.asMotoChecksIt(Data(policy.utf8)).write(to: file)
            arguments.append("\(role.rawValue)=\(file.path)")
        }
        let made = try await IntegrationTests.run(URL(fileURLWithPath: "/usr/bin/env"), arguments,
                                                  environment: isolatedEnvironment(["HOME": NSHomeDirectory()]), timeout: .seconds(60))
        guard made.status == 0, let document = try JSONSerialization.jsonObject(with: Data(made.stdout)) as? [String: [String: String]] else {
            throw HelperError("iam_users.py failed (\(made.status)): \(made.stderr.suffix(1_500))")
        }
        keys = document.compactMapValues { pair in pair["id"].flatMap { id in pair["secret"].map { (id, $0) } } }
        admin = IAMWorld.client(server, keys["admin"]!)
        try await admin.createBucket(primary, region: "us-east-2")
        try await admin.createBucket(backup, region: "us-west-2")
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// `policy` with additions for moto's sake: moto checks DeleteObjects (the multi-object delete) as
    /// s3:DeleteObject on the bucket, where AWS checks s3:DeleteObject on each object named
    /// (moto/s3/responses.py, `_bucket_response_post`), so every Allow of s3:DeleteObject on `BUCKET/*` is also
    /// granted on `BUCKET` here; and moto's ACTION_MAP has no Object Lock sub-resource, so it checks
    /// PutObjectLockConfiguration as s3:CreateBucket, which an Allow of s3:PutBucketObjectLockConfiguration also
    /// grants here (GetObjectLockConfiguration it checks as s3:ListBucket, PutObjectRetention as s3:PutObject). The
    /// files in ops/iam stay as AWS reads them. https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
    static func asMotoChecksIt(_ policy: Data) throws -> Data {
        var document = try #require(try JSONSerialization.jsonObject(with: policy) as? [String: Any])
        var statements = try #require(document["Statement"] as? [[String: Any]])
        for statement in statements where statement["Effect"] as? String == "Allow" {
            let actions = (statement["Action"] as? [String]) ?? [statement["Action"] as? String].compactMap { $0 }
            let resources = (statement["Resource"] as? [String]) ?? [statement["Resource"] as? String].compactMap { $0 }
            if actions.contains("s3:PutBucketObjectLockConfiguration") {
                statements.append(["Effect": "Allow", "Action": "s3:CreateBucket", "Resource": resources])
            }
            guard actions.contains("s3:DeleteObject") else { continue }
            let buckets = resources.filter { $0.hasSuffix("/*") }.map { String($0.dropLast(2)) }
            if !buckets.isEmpty { statements.append(["Effect": "Allow", "Action": "s3:DeleteObject", "Resource": buckets]) }
        }
        document["Statement"] = statements
        return try JSONSerialization.data(withJSONObject: document)
    }

    /// A client signing with `role`'s key, each request tried once.
    func client(_ role: Role) -> S3Client { IAMWorld.client(server, keys[role.rawValue]!) }

    private static func client(_ server: HelperServer, _ key: (id: String, secret: String)) -> S3Client {
        S3Client(configuration: S3Configuration(
            endpoint: try! Endpoint(url: server.endpoint, setting: "test endpoint"), region: "us-east-1",
            credentials: StaticCredentialsProvider(Credentials(accessKeyID: key.id, secretAccessKey: key.secret)),
            retry: RetryPolicy(maxAttempts: 1)))
    }

    /// Runs the built `s3backup` with `role`'s key, against this server only.
    func s3backup(_ role: Role, _ arguments: [String], timeout: Duration = .seconds(120)) async throws -> CommandResult {
        let key = keys[role.rawValue]!
        return try await IntegrationTests.run(Repository.binary, arguments, environment: isolatedEnvironment([
            "AWS_ACCESS_KEY_ID": key.id, "AWS_SECRET_ACCESS_KEY": key.secret, "AWS_ENDPOINT_URL": server.endpoint,
        ]), timeout: timeout)
    }

    /// `setup` of both buckets.
    var setupArguments: [String] { ["setup", "--source", "s3://\(primary)", "--backup", "s3://\(backup)"] }
    var database: String { directory.appendingPathComponent("queue.db").path }
    var logDirectory: String { directory.appendingPathComponent("logs").path }

    /// Objects `prepare` puts in the primary.
    static let seeded = 13

    /// The body `prepare` gives `key`.
    static func body(_ key: String) -> String { "body of \(key)" }

    /// A lifecycle a stolen key would set: every noncurrent version gone a day after it is replaced.
    static let historyWipe = "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule><ID>wipe</ID>"
        + "<Filter><Prefix></Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
        + "</NoncurrentVersionExpiration></Rule></LifecycleConfiguration>"

    /// Both buckets set up with the setup role's key, and the primary seeded with the admin's: twelve small objects
    /// (a/0, b/1, a/2, … b/11; b/3 tagged) and a two-part multipart object with tags.
    func prepare(_ setupExtra: [String] = []) async throws {
        let setup = try await s3backup(.setup, setupArguments + setupExtra)
        #expect(setup.status == 0, "\(setup.stderr)\(setup.stdoutText)")
        for index in 0..<12 {
            let key = "\(index % 2 == 0 ? "a" : "b")/\(index)"  // a/0, b/1, a/2, …
            try await admin.putObject(bucket: primary, key: key, body: BytesBody(Array(IAMWorld.body(key).utf8)),
                                      options: WriteOptions(tags: index == 3 ? [Tag(key: "kind", value: "tagged")] : nil))
        }
        let key = "big/two-parts.bin"
        let upload = try await admin.createMultipartUpload(bucket: primary, key: key,
                                                            options: WriteOptions(tags: [Tag(key: "size", value: "big")]))
        let parts = [
            try await admin.uploadPart(bucket: primary, key: key, uploadID: upload, number: 1, body: BytesBody([UInt8](repeating: 1, count: 5 << 20))),
            try await admin.uploadPart(bucket: primary, key: key, uploadID: upload, number: 2, body: BytesBody([2, 2, 2])),
        ]
        try await admin.completeMultipartUpload(bucket: primary, key: key, uploadID: upload, parts: parts)
    }

    /// `s3backup run` with the nightly key, and its JSON reports.
    func backUp(_ extra: [String] = []) async throws -> (status: Int32, reports: [[String: Any]], stderr: String) {
        let result = try await s3backup(.nightly, [
            "run", "--source", "s3://\(primary)", "--backup", "s3://\(backup)", "--db", database, "--workers", "2", "--lease-seconds", "2",
            "--json", "--log-dir", logDirectory,
        ] + extra, timeout: .seconds(180))
        return (result.status, (try? JSONSerialization.jsonObject(with: Data(result.stdout))) as? [[String: Any]] ?? [], result.stderr)
    }

    /// A boto3 script run with `user`'s key (a role's, or admin's) against this server (argv[1] the endpoint, then
    /// `arguments`).
    func boto(_ user: String, _ script: String, _ arguments: [String]) async throws -> CommandResult {
        let key = try #require(keys[user], "a key of \(user)")
        return try await IntegrationTests.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, server.endpoint] + arguments,
                                              environment: isolatedEnvironment([
                                                  "HOME": NSHomeDirectory(), "AWS_ACCESS_KEY_ID": key.id,
                                                  "AWS_SECRET_ACCESS_KEY": key.secret, "AWS_DEFAULT_REGION": "us-east-1",
                                              ]), timeout: .seconds(60))
    }

    /// With `x-amz-bypass-governance-retention`, shortens the lock of the current version of argv[3] in bucket argv[2]
    /// to a minute and deletes the version; prints each call's error code, or ok.
    static let bypassGovernance = """
        import boto3, datetime, sys
        s3 = boto3.client("s3", endpoint_url=sys.argv[1])
        bucket, key = sys.argv[2], sys.argv[3]
        version = s3.head_object(Bucket=bucket, Key=key)["VersionId"]
        soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)
        def code(call):
            try:
                call()
                return "ok"
            except s3.exceptions.ClientError as error:
                return error.response["Error"]["Code"]
        print(code(lambda: s3.put_object_retention(Bucket=bucket, Key=key, VersionId=version, BypassGovernanceRetention=True,
                                                   Retention={"Mode": "GOVERNANCE", "RetainUntilDate": soon})),
              code(lambda: s3.delete_object(Bucket=bucket, Key=key, VersionId=version, BypassGovernanceRetention=True)))
        """

    /// Expects `body` to be refused with AccessDenied.
    static func expectDenied(_ what: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("\(what) was allowed")
        } catch let error as S3Error {
            #expect(error.code == "AccessDenied", "\(what): \(error)")
        } catch {
            Issue.record("\(what): \(error)")
        }
    }
}
