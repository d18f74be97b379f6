import Foundation
import S3
import TestSupport
import Testing

@Suite("Buckets against moto and RGW", .timeLimit(.minutes(10)))
struct BucketTests {
    @Test(arguments: Provider.allCases)
    func discoversTheBucketRegion(provider: Provider) async throws {
        let emulator = try await Emulator(provider, region: "us-east-1")
        let bucket = try await emulator.makeBucket("west", region: "us-west-2")
        // A second client knows nothing yet: it must ask S3 and find us-west-2. RGW's HeadBucket names no region
        // (its GetBucketLocation says "default", the zonegroup) and any region signs: the client keeps its own.
        let fresh = Emulator.client(endpoint: emulator.server.endpoint, region: "eu-central-1")
        #expect(try await fresh.region(of: bucket) == (provider == .rgw ? "eu-central-1" : "us-west-2"))
        try await fresh.putObject(bucket: bucket, key: "k", body: BytesBody([1, 2, 3]))
        #expect(try await fresh.headObject(bucket: bucket, key: "k").size == 3)
    }

    @Test(arguments: Provider.allCases)
    func versioningAndVersionListing(provider: Provider) async throws {
        let emulator = try await Emulator(provider)
        let bucket = try await emulator.makeBucket("versions")
        #expect(try await emulator.client.getBucketVersioning(bucket) == .unversioned)
        try await emulator.client.putBucketVersioning(bucket, enabled: true)
        #expect(try await emulator.client.getBucketVersioning(bucket) == .enabled)
        var written: [String] = []
        for body in ["one", "two", "three"] {
            let result = try await emulator.client.putObject(bucket: bucket, key: "doc", body: BytesBody(Array(body.utf8)))
            written.append(try #require(result.versionID))
            try await Task.sleep(for: .milliseconds(5))
        }
        try await emulator.client.putObject(bucket: bucket, key: "other", body: BytesBody([]))
        try await emulator.client.deleteObject(bucket: bucket, key: "doc")

        var versions: [ObjectVersion] = []
        for try await page in emulator.client.listObjectVersions(bucket: bucket, pageSize: 2) { versions += page.versions }
        let doc = versions.filter { $0.key == "doc" }
        #expect(doc.count == 4)
        #expect(doc.first?.isDeleteMarker == true)
        #expect(doc.first?.isLatest == true)
        #expect(Set(doc.filter { !$0.isDeleteMarker }.map(\.versionID)) == Set(written))
        #expect(versions.filter { $0.key == "other" }.count == 1)

        let old = BytesSink()
        try await emulator.client.getObject(bucket: bucket, key: "doc", versionID: written[0], to: old)
        #expect(old.bytes == Array("one".utf8))
        await #expect(throws: S3Error.self) { try await emulator.client.headObject(bucket: bucket, key: "doc") }
    }

    @Test(arguments: Provider.allCases)
    func lifecycleRoundTrip(provider: Provider) async throws {
        let emulator = try await Emulator(provider)
        let bucket = try await emulator.makeBucket("lifecycle")
        #expect(try await emulator.client.getBucketLifecycle(bucket) == nil)
        let xml = """
            <LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ID>archive-tiering</ID>\
            <Filter><Prefix></Prefix></Filter><Status>Enabled</Status>\
            <Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>\
            <NoncurrentVersionExpiration><NoncurrentDays>90</NoncurrentDays></NoncurrentVersionExpiration>\
            </Rule></LifecycleConfiguration>
            """
        try await emulator.client.putBucketLifecycle(bucket, xml: xml)
        let rules = try #require(try await emulator.client.getBucketLifecycle(bucket))
        let rule = try #require(rules.child("Rule"))
        #expect(rule.text("ID") == "archive-tiering")
        #expect(rule.find("NoncurrentDays")?.text == "90")
        #expect(rule.child("Transition")?.text("StorageClass") == "STANDARD_IA")
    }

    @Test func errorsNameTheBucketAndKey() async throws {
        let emulator = try await Emulator()
        let missing = Emulator.uniqueBucket("missing")
        let listing = await #expect(throws: S3Error.self) {
            for try await _ in emulator.client.listObjects(bucket: missing) {}
        }
        #expect(listing?.code == "NoSuchBucket")
        #expect(listing?.isRetryable == false)
        #expect(listing?.description.contains(missing) == true)

        let bucket = try await emulator.makeBucket("errors")
        let head = await #expect(throws: S3Error.self) {
            try await emulator.client.headObject(bucket: bucket, key: "absent key")
        }
        #expect(head?.status == 404)
        #expect(head?.code == "NoSuchKey")
        #expect(head?.description.contains("absent key") == true)
    }

    @Test func unreachableEndpointIsATransportErrorAfterRetries() async throws {
        // Port 9 (discard) has no listener here: connections are refused at once.
        let port = 9
        let client = Emulator.client(endpoint: "http://127.0.0.1:\(port)", maxAttempts: 3)
        let started = ContinuousClock.now
        let error = await #expect(throws: S3Error.self) { try await client.headObject(bucket: "any-bucket", key: "k") }
        #expect(error?.kind == .transport(curlCode: 7))
        #expect(error?.isRetryable == true)
        #expect(error?.description.contains("127.0.0.1:\(port)") == true)
        #expect(ContinuousClock.now - started < .seconds(60), "bounded: three refused connects and short backoffs")
    }
}
