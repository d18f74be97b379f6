import Backup
import Foundation
import Queue
import S3
import SigV4
import Testing

/// What only a server that checks signatures can show: RGW refuses what AWS refuses, and accepts every way the
/// client signs (payload hashed, UNSIGNED-PAYLOAD for streams, a session token).
@Suite("Signatures against RGW, which checks them", .timeLimit(.minutes(10)))
struct SignatureTests {
    /// `s3backup ls` of a fresh bucket on RGW with `environment` over the suite's credentials.
    private func list(_ changes: [String: String], endpoint: String? = nil) async throws -> CommandResult {
        let rgw = try await Emulator(.rgw)
        let bucket = try await rgw.makeBucket("sig")
        try await rgw.client.putObject(bucket: bucket, key: "k", body: BytesBody([1]))
        let environment = isolatedEnvironment(["AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret",
                                               "AWS_ENDPOINT_URL": endpoint ?? rgw.server.endpoint].merging(changes) { $1 })
        return try await run(Repository.binary, ["ls", "s3://\(bucket)"], environment: environment)
    }

    @Test func theSuitesOwnKeysAreAccepted() async throws {
        let result = try await list([:])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText == "k\n")
    }

    @Test func aWrongSecretIsRefused() async throws {
        let result = try await list(["AWS_SECRET_ACCESS_KEY": "WRONG-SECRET-MARKER"])
        #expect(result.status == 77)
        let line = errorLine(result)
        #expect(line.contains("SignatureDoesNotMatch") && line.contains("check AWS_SECRET_ACCESS_KEY"), "\(line)")
        #expect(!result.stderr.contains("WRONG-SECRET-MARKER"))
    }

    @Test func anUnknownAccessKeyIsRefused() async throws {
        let result = try await list(["AWS_ACCESS_KEY_ID": "AKIDNOBODY"])
        #expect(result.status == 77)
        let line = errorLine(result)
        #expect(line.contains("InvalidAccessKeyId") && line.contains("check AWS_ACCESS_KEY_ID"), "\(line)")
    }

    @Test func aRequestChangedAfterSigningIsRefused() async throws {
        let proxy = try await FaultProxy(upstream: try await Provider.rgw.server().endpoint, rates: ["tamper-path": 1])
        let result = try await list([:], endpoint: proxy.endpoint)
        #expect(result.status == 77)
        #expect(errorLine(result).contains("SignatureDoesNotMatch"), "\(result.stderr)")
    }

    @Test func aBodyChangedAfterSigningIsRefused() async throws {
        let rgw = try await Emulator(.rgw)
        let bucket = try await rgw.makeBucket("sig-body")
        let proxy = try await FaultProxy(upstream: rgw.server.endpoint, rates: ["tamper-body": 1])
        let client = Emulator.client(endpoint: proxy.endpoint)
        // An in-memory body is signed by its SHA-256: RGW checks the bytes against it.
        let error = await #expect(throws: S3Error.self) {
            try await client.putObject(bucket: bucket, key: "signed", body: BytesBody(Array("the body as signed".utf8)))
        }
        #expect(error?.code == "XAmzContentSHA256Mismatch", "\(String(describing: error))")
        #expect(try await rgw.keys(bucket).isEmpty)
    }

    @Test func temporaryCredentialsWithTheirSessionTokenAreAccepted() async throws {
        let rgw = try await Emulator(.rgw)
        // GetSessionToken from RGW's STS, signed with the suite's keys (boto3: a reference client).
        let script = """
            import boto3, json, sys
            sts = boto3.client("sts", endpoint_url=sys.argv[1], region_name="us-east-1",
                               aws_access_key_id="AKIDTEST", aws_secret_access_key="test-secret")
            c = sts.get_session_token(DurationSeconds=900)["Credentials"]
            print(json.dumps([c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]]))
            """
        let sts = try await run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, rgw.server.endpoint],
                                environment: ProcessInfo.processInfo.environment)
        #expect(sts.status == 0, "GetSessionToken: \(sts.stderr)")
        let credentials = try JSONDecoder().decode([String].self, from: Data(sts.stdout))
        try #require(credentials.count == 3)
        let temporary = ["AWS_ACCESS_KEY_ID": credentials[0], "AWS_SECRET_ACCESS_KEY": credentials[1],
                         "AWS_SESSION_TOKEN": credentials[2]]
        let accepted = try await list(temporary)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stdoutText == "k\n")

        var forged = temporary
        forged["AWS_SESSION_TOKEN"] = String(credentials[2].dropLast(8)) + "AAAAAAAA"
        let refused = try await list(forged)
        #expect(refused.status == 77, "\(refused.stderr)")
        #expect(!errorLine(refused).isEmpty)
        #expect(!refused.stderr.contains(credentials[1]) && !refused.stderr.contains(credentials[2]), "no secret in the error")
    }

    /// Settings a provider cannot honour are refused with the flag to change, never taken silently: RGW 16.2 over
    /// http refuses SSE on uploads and ignores it on CopyObject, and knows only the storage classes configured.
    @Test func encryptionOrAStorageClassTheProviderLacksNamesTheFlag() async throws {
        var fixture = try await BackupFixture("refused", provider: .rgw)
        defer { fixture.remove() }
        try await fixture.seed(3)
        fixture.flags = [] // the default --sse AES256
        let encrypted = try await fixture.run()
        #expect(encrypted.status == 2, "partial: \(encrypted.stderr)")
        #expect(encrypted.reports.last?.int("work", "copied") == 0)
        #expect(encrypted.stderr.contains("did not confirm server-side encryption AES256") && encrypted.stderr.contains("--sse none"),
                "\(encrypted.stderr)")
        // Each unconfirmed copy is hidden under a delete marker the queue records as s3backup's own.
        var markers: [ObjectVersion] = []
        for try await page in fixture.backupClient.listObjectVersions(bucket: fixture.backup) { markers += page.versions }
        markers.removeAll { !$0.isDeleteMarker }
        let queue = try QueueLocation(fixture.database).open(create: false)
        let pair = try RunParameters.stored(in: try await queue.run(try #require(try await queue.runs(limit: 1).first).id)).pair
        let recorded = try await queue.deleteMarkers(pair: pair, after: nil, limit: 10)
        #expect(markers.count == 3 && Set(recorded.map(\.version)) == Set(markers.map(\.versionID)), "\(markers) \(recorded)")

        let unknownClass = try await fixture.run(["--sse", "none", "--storage-class", "OUTPOSTS"])
        #expect(unknownClass.status == 2)
        #expect(unknownClass.stderr.contains("does not offer storage class OUTPOSTS: pass --storage-class"), "\(unknownClass.stderr)")

        let fixed = try await fixture.run(["--sse", "none"])
        #expect(fixed.status == 0, "\(fixed.stderr)")
        #expect(fixed.reports.last?.int("work", "copied") == 3)
    }
}
