import Foundation
import S3
import Spawn
import Testing

@Suite("s3backup ls, the built binary", .timeLimit(.minutes(10)))
struct ListCommandTests {
    private func environment(_ emulator: Emulator, _ extra: [String: String] = [:]) -> [String: String] {
        isolatedEnvironment(["AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret",
                             "AWS_ENDPOINT_URL": emulator.server.endpoint].merging(extra) { $1 })
    }

    @Test(arguments: Provider.allCases)
    func listsAwkwardKeysExactlyAsBoto3Does(provider: Provider) async throws {
        let emulator = try await Emulator(provider)
        let bucket = try await emulator.makeBucket("ls-awkward", region: "us-west-2")
        for key in awkwardKeys {
            try await emulator.client.putObject(bucket: bucket, key: key, body: BytesBody(Array(key.utf8)))
        }
        let ours = try await run(Repository.binary, ["ls", "s3://\(bucket)"], environment: environment(emulator))
        #expect(ours.status == 0, "stderr: \(ours.stderr)")

        // boto3 lists with encoding-type=url and decodes, the reference behaviour.
        let script = """
            import boto3, json, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                              aws_access_key_id="AKIDTEST", aws_secret_access_key="test-secret")
            keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[2]) for o in p.get("Contents", [])]
            print(json.dumps(keys))
            """
        let boto = try await run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, emulator.server.endpoint, bucket],
                                 environment: ProcessInfo.processInfo.environment)
        #expect(boto.status == 0, "boto3: \(boto.stderr)")
        let botoKeys = try JSONDecoder().decode([String].self, from: Data(boto.stdout))
        #expect(botoKeys.count == awkwardKeys.count)
        let expected = botoKeys.flatMap { Array($0.utf8) + [UInt8(ascii: "\n")] }
        #expect(ours.stdout == expected)
    }

    @Test func jsonLinesCarryTheListingFields() async throws {
        let emulator = try await Emulator()
        let bucket = try await emulator.makeBucket("ls-json")
        try await emulator.client.putObject(bucket: bucket, key: "dir/a \"q\"\r\t", body: BytesBody([1, 2, 3]))
        try await emulator.client.putObject(bucket: bucket, key: "other/b", body: BytesBody([]))
        let result = try await run(Repository.binary, ["ls", "--json", "s3://\(bucket)/dir/"], environment: environment(emulator))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n")
        #expect(lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["key"] as? String == "dir/a \"q\"\r\t")
        #expect(object["size"] as? Int == 3)
        #expect((object["etag"] as? String)?.hasPrefix("\"") == true)
        #expect(object["storage_class"] as? String == "STANDARD")
        #expect((object["last_modified"] as? String)?.isEmpty == false)
    }

    @Test(arguments: [
        (["ls", "bucket-without-scheme"], Int32(64), "s3://BUCKET"),
        (["ls", "s3://"], 64, "bucket name is missing"),
        (["ls", "s3://x"], 64, "not a valid bucket name"),
        (["ls", "s3://fine-bucket", "--endpoint-url", "localhost:9"], 78, "--endpoint-url"),
        (["ls", "s3://fine-bucket", "--region", "US West"], 78, "region"),
        (["ls", "s3://fine-bucket", "--profile", "nobody"], 78, "nobody"),
    ])
    func badInputIsOneClearLine(arguments: [String], status: Int32, mention: String) async throws {
        let emulator = try await Emulator()
        let result = try await run(Repository.binary, arguments, environment: environment(emulator))
        #expect(result.status == status, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(mention), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("test-secret"))
        #expect(result.stdout.isEmpty)
    }

    @Test func aFailedWriteToStandardOutputIsAnError() async throws {
        let emulator = try await Emulator()
        let bucket = try await emulator.makeBucket("ls-full")
        try await emulator.client.putObject(bucket: bucket, key: "k", body: BytesBody([1]))
        let full = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
        defer { try? full.close() }
        let process = try ChildProcess(Repository.binary.path, ["ls", "s3://\(bucket)"], environment: environment(emulator),
                                       stdin: .null, stdout: .file(full), stderr: .null)
        #expect(process.waitUntilExit() == .exited(1))
    }

    @Test func unknownBucketNamesTheBucket() async throws {
        let emulator = try await Emulator()
        let missing = Emulator.uniqueBucket("nope")
        let result = try await run(Repository.binary, ["ls", "s3://\(missing)"], environment: environment(emulator))
        #expect(result.status == 78, "a bucket that does not exist is a wrong setting")
        #expect(result.stderr.contains(missing))
        #expect(result.stderr.contains("NoSuchBucket") || result.stderr.contains("does not exist"))
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
    }

    @Test func unreachableEndpointSaysWhichSettingToFix() async throws {
        let emulator = try await Emulator()
        let result = try await run(Repository.binary, ["ls", "s3://some-bucket", "--endpoint-url", "http://127.0.0.1:9"],
                                   environment: environment(emulator, ["AWS_MAX_ATTEMPTS": "2"]))
        #expect(result.status == 69, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("127.0.0.1:9"))
        #expect(result.stderr.contains("--endpoint-url"))
    }

    @Test func missingCredentialsAreAConfigurationError() async throws {
        let emulator = try await Emulator()
        let result = try await run(Repository.binary, ["ls", "s3://some-bucket"],
                                   environment: isolatedEnvironment(["AWS_ENDPOINT_URL": emulator.server.endpoint]))
        #expect(result.status == 78, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("AWS_ACCESS_KEY_ID"))
    }

    @Test func rejectedCredentialsNeverShowTheSecret() async throws {
        // A second emulator that checks signatures from its first request on.
        let strict = try await HelperServer(script: "emulator.py", arguments: ["INITIAL_NO_AUTH_ACTION_COUNT=0"])
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRET"
        let result = try await run(Repository.binary, ["ls", "s3://some-bucket", "--endpoint-url", strict.endpoint],
                                   environment: isolatedEnvironment(["AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000000",
                                                                     "AWS_SECRET_ACCESS_KEY": secret,
                                                                     "AWS_SESSION_TOKEN": "TOKENVALUE123"]))
        #expect(result.status == 77, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("InvalidAccessKeyId") || result.stderr.contains("access key"))
        for needle in [secret, "TOKENVALUE123"] {
            #expect(!result.stderr.contains(needle))
            #expect(!result.stdoutText.contains(needle))
        }
    }
}
