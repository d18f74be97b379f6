import Foundation
import S3
import TestSupport
import Testing

@Suite("Request shapes", .timeLimit(.minutes(1)))
struct RequestShapeTests {
    @Test func keysArePathEncodedAndSignedVerbatim() async throws {
        let (client, transport) = ScriptedTransport.client([.headBucket, .status(200)])
        _ = try await client.headObject(bucket: "bucket", key: "a/../b c+d%")
        let request = try #require(transport.sent.last)
        #expect(request.url == "http://127.0.0.1:9/bucket/a/../b%20c%2Bd%25")
        let names = request.headers.map { $0.0.lowercased() }
        #expect(names.contains("x-amz-content-sha256"))
        #expect(names.contains("x-amz-date"))
        #expect(!names.contains("host"), "libcurl writes Host itself; the signed value is the same")
    }

    /// AWS: virtual-hosted in the bucket's region; a bucket with dots goes path-style (the TLS wildcard
    /// certificate cannot cover it). Nothing is sent anywhere: the transport is scripted.
    @Test(arguments: [
        ("backup-bucket", "https://backup-bucket.s3.us-west-2.amazonaws.com/a%20b/c"),
        ("my.dotted.bucket", "https://s3.us-west-2.amazonaws.com/my.dotted.bucket/a%20b/c"),
    ])
    func awsAddressing(bucket: String, url: String) async throws {
        let (client, transport) = ScriptedTransport.client(
            [.status(200, headers: ["x-amz-bucket-region": "us-west-2"]), .status(200)], endpoint: .aws)
        _ = try await client.headObject(bucket: bucket, key: "a b/c")
        #expect(transport.sent.first?.url.hasSuffix("amazonaws.com/\(bucket == "backup-bucket" ? "" : bucket)") == true)
        #expect(transport.sent.last?.url == url)
        let authorization = transport.sent.last?.headers.first { $0.0 == "authorization" }?.1
        #expect(authorization?.contains("/us-west-2/s3/aws4_request") == true)
    }

    @Test func deleteObjectsSendsXMLWithContentMD5() async throws {
        let (client, transport) = ScriptedTransport.client([
            .headBucket,
            .status(200, "<DeleteResult><Deleted><Key>a&amp;b</Key></Deleted><Error><Key>locked</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>"),
        ])
        let result = try await client.deleteObjects(bucket: "bucket", [ObjectVersionRef(key: "a&b"), ObjectVersionRef(key: "locked")])
        #expect(result.deleted == [ObjectVersionRef(key: "a&b")])
        #expect(result.errors.first?.code == "AccessDenied")
        let request = try #require(transport.sent.last)
        #expect(request.url.hasSuffix("/bucket?delete="))
        #expect(request.headers.contains { $0.0 == "content-md5" })
        #expect(request.headers.contains { $0 == ("content-type", "application/xml") })
    }

    /// DeleteObject tells the marker it placed in its headers; a version deleted, or an unversioned key, places none.
    @Test func deleteObjectReturnsTheMarkersVersionID() async throws {
        let (client, _) = ScriptedTransport.client([
            .headBucket,
            .status(204, headers: ["x-amz-delete-marker": "true", "x-amz-version-id": "m1"]),
            .status(204),
            .status(204, headers: ["x-amz-delete-marker": "true", "x-amz-version-id": "m1"]),
        ])
        #expect(try await client.deleteObject(bucket: "bucket", key: "k") == "m1")
        #expect(try await client.deleteObject(bucket: "bucket", key: "k") == nil, "no marker: an unversioned bucket")
        #expect(try await client.deleteObject(bucket: "bucket", key: "k", versionID: "m1") == nil, "the marker itself deleted")
    }

    @Test func listDecodesURLEncodedKeys() async throws {
        let page = """
            <ListBucketResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>\
            <NextContinuationToken>t+1/=</NextContinuationToken>\
            <Contents><Key>a+b%2Bc%01%E2%82%AC</Key><Size>5</Size><ETag>&quot;e&quot;</ETag></Contents></ListBucketResult>
            """
        let last = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>raw+plus</Key></Contents></ListBucketResult>"
        let (client, transport) = ScriptedTransport.client([.headBucket, .status(200, page), .status(200, last)])
        var keys: [String] = []
        for try await page in client.listObjects(bucket: "bucket", prefix: "p/") { keys += page.objects.map(\.key) }
        #expect(keys == ["a b+c\u{01}€", "raw+plus"])
        #expect(transport.sent[2].url.contains("continuation-token=t%2B1%2F%3D"))
        #expect(transport.sent[1].url.contains("encoding-type=url"))
        #expect(transport.sent[1].url.contains("prefix=p%2F"))
    }

    @Test func aTruncatedPageWithoutTokenIsAnError() async throws {
        let (client, _) = ScriptedTransport.client([.headBucket, .status(200, "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")])
        await #expect(throws: S3Error.self) { for try await _ in client.listObjects(bucket: "bucket") {} }
    }

    @Test func secretsNeverAppearInErrors() async throws {
        let (client, _) = ScriptedTransport.client([.headBucket, .error(403, "SignatureDoesNotMatch")])
        let error = await #expect(throws: S3Error.self) { try await client.headObject(bucket: "bucket", key: "k") }
        #expect(error?.description.contains("SECRETVALUE") == false)
        #expect(error?.description.contains("secret key") == true)
    }

    @Test(arguments: [
        ("s3://bucket", "bucket", ""), ("s3://bucket/", "bucket", ""), ("s3://bucket/a/b", "bucket", "a/b"),
        ("s3://bucket//lead", "bucket", "/lead"), ("s3://my.bucket-1/ x ", "my.bucket-1", " x "),
    ])
    func parsesS3URLs(text: String, bucket: String, prefix: String) throws {
        let url = try S3URL(text)
        #expect(url.bucket == bucket)
        #expect(url.prefix == prefix)
    }

    @Test(arguments: ["bucket", "s3:/bucket", "s3://", "s3:///key", "S3://bucket", "s3://b", "s3://bad bucket/x", "http://bucket"])
    func rejectsMalformedS3URLs(text: String) {
        #expect(throws: S3Error.self) { try S3URL(text) }
    }

    @Test(arguments: [
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"), ("https://minio.example:9000/", "https://minio.example:9000"),
        ("http://gw.example/s3", "http://gw.example/s3"), ("https://s3.internal:443", "https://s3.internal"),
        ("http://127.0.0.1:80/", "http://127.0.0.1"), ("http://127.0.0.1:443", "http://127.0.0.1:443"),
    ])
    func parsesEndpoints(text: String, description: String) throws {
        #expect(try Endpoint(url: text, setting: "--endpoint-url").description == description)
    }

    @Test(arguments: ["127.0.0.1:5000", "ftp://host", "http://", "http://host:0", "http://host:99999", "http://host:port"])
    func rejectsMalformedEndpoints(text: String) {
        #expect(throws: S3Error.self) { try Endpoint(url: text, setting: "--endpoint-url") }
    }
}
