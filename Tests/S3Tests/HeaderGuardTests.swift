import S3
import TestSupport
import Testing

/// Headers that would break the request line by line never leave the client, and a region read from an answer is
/// held to the rule of a configured one.
@Suite("Header and region guards", .timeLimit(.minutes(1)))
struct HeaderGuardTests {
    /// Metadata as a hostile source might answer it, copied into a streamed copy's PutObject.
    @Test(arguments: [
        ("\r\nx-amz-acl: public-read", 0x0D), ("a\nb", 0x0A), ("nul\0", 0x00), ("bell\u{07}", 0x07), ("del\u{7F}", 0x7F),
        ("esc\u{1B}[2J", 0x1B),
    ])
    func controlCharactersInAValueAreRefusedBeforeSending(value: String, byte: Int) async throws {
        let (client, transport) = ScriptedTransport.client([.headBucket, .status(200)])
        let metadata = ObjectMetadata(contentType: "text/plain", user: ["note": value])
        let error = await #expect(throws: S3Error.self) {
            try await client.putObject(bucket: "bucket", key: "k", body: BytesBody([1]),
                                       options: WriteOptions(metadata: metadata))
        }
        #expect(transport.sent.allSatisfy { $0.method == "HEAD" }, "the PutObject was not sent")
        let description = error?.description ?? ""
        #expect(description.contains("x-amz-meta-note"), "names the header: \(description)")
        #expect(description.contains(String(format: "0x%02X", byte)), "names the byte: \(description)")
        #expect(error?.operation == "PutObject" && error?.key == "k")
        #expect(!description.utf8.contains { $0 < 0x20 || $0 == 0x7F }, "no raw control byte in the message")
        #expect(error?.isRetryable == false)
    }

    @Test(arguments: ["bad name", "colon:name", "new\nline", "caf\u{E9}", "quote\"d"])
    func aHeaderNameThatIsNotATokenIsRefused(name: String) async throws {
        let (client, transport) = ScriptedTransport.client([.headBucket, .status(200)])
        let metadata = ObjectMetadata(contentDisposition: "inline", user: [name: "v"])
        let error = await #expect(throws: S3Error.self) {
            try await client.putObject(bucket: "bucket", key: "k", body: BytesBody([1]), options: WriteOptions(metadata: metadata))
        }
        #expect(transport.sent.count == 1)
        #expect(error?.description.contains("is not an HTTP token") == true, "\(String(describing: error))")
        #expect(error?.description.utf8.contains { $0 < 0x20 } == false)
    }

    @Test func tabsAndUTF8InValuesAreSent() async throws {
        let (client, transport) = ScriptedTransport.client([.headBucket, .status(200)])
        let metadata = ObjectMetadata(contentType: "text/plain; charset=utf-8", contentDisposition: "attachment;\tfilename=\"caf\u{E9}.txt\"",
                                      user: ["note": "\u{65E5}\u{672C}\tok"])
        _ = try await client.putObject(bucket: "bucket", key: "k", body: BytesBody([1]), options: WriteOptions(metadata: metadata))
        #expect(transport.sent.count == 2)
    }

    /// HeadBucket's answer decides which host every later request goes to (`BUCKET.s3.REGION.amazonaws.com`).
    @Test(arguments: ["evil.example.com/x", "us-east-1.attacker.net#", "US-EAST-1", "-us", "us east", "a\r\nb",
                      String(repeating: "a", count: 64)])
    func anAnsweredRegionThatIsNotARegionNameIsAnError(region: String) async throws {
        let (client, transport) = ScriptedTransport.client([.status(200, headers: ["x-amz-bucket-region": region]), .status(200)],
                                                           endpoint: .aws)
        let error = await #expect(throws: S3Error.self) { try await client.headObject(bucket: "bucket", key: "k") }
        #expect(transport.sent.count == 1, "nothing was sent to a host built from the region")
        #expect(error?.kind == .invalidResponse)
        #expect(error?.description.contains("not a region name") == true, "\(String(describing: error))")
        #expect(error?.description.utf8.contains { $0 < 0x20 } == false)
    }

    /// An error's region is followed (the request is resent there) only when it is a region name.
    @Test(arguments: [(["x-amz-bucket-region": "evil.example.com/"], ""),
                      ([:], "<Region>evil.example.com/</Region>")])
    func anErrorsRegionThatIsNotARegionNameIsNotFollowed(headers: [String: String], region: String) async throws {
        let redirect = "<Error><Code>PermanentRedirect</Code><Message>elsewhere</Message>\(region)</Error>"
        let (client, transport) = ScriptedTransport.client([.headBucket, .status(301, redirect, headers: headers), .status(200)],
                                                           endpoint: .aws)
        let error = await #expect(throws: S3Error.self) { try await client.getBucketVersioning("bucket") }
        #expect(transport.sent.count == 2)
        #expect(!transport.sent.contains { $0.url.contains("evil") })
        #expect(error?.code == "PermanentRedirect")
        #expect(error?.bucketRegion == nil)
        #expect(error?.description.contains("not a region name and was ignored") == true, "\(String(describing: error))")
    }

    @Test func anErrorsRegionNameIsStillFollowed() async throws {
        let redirect = "<Error><Code>PermanentRedirect</Code><Message>elsewhere</Message><Region>eu-west-1</Region></Error>"
        let (client, transport) = ScriptedTransport.client([.headBucket, .status(301, redirect), .status(200, "<VersioningConfiguration/>")],
                                                           endpoint: .aws)
        _ = try await client.getBucketVersioning("bucket")
        #expect(transport.sent.last?.url.hasPrefix("https://bucket.s3.eu-west-1.amazonaws.com/") == true)
    }

    /// One rule for configured and answered regions.
    @Test(arguments: [("us-west-2", true), ("cn-north-1", true), ("us-gov-west-1", true), ("eu-central-2", true),
                      ("", false), ("-us", false), ("Us-west-2", false), ("us_west_2", false), ("us.west", false),
                      ("a/b", false), (String(repeating: "a", count: 63), true), (String(repeating: "a", count: 64), false)])
    func regionNames(name: String, valid: Bool) throws {
        #expect(RegionName.isValid(name) == valid)
        if valid {
            #expect(try S3Configuration.resolve(profile: nil, endpointURL: nil, region: name, environment: ["HOME": "/nonexistent"]).region == name)
        } else if !name.isEmpty {
            #expect(throws: S3Error.self) { try S3Configuration.resolve(profile: nil, endpointURL: nil, region: name, environment: ["HOME": "/nonexistent"]) }
        }
    }
}
