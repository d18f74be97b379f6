import Foundation
import S3
import TestSupport
import Testing

/// Backups between buckets encrypted differently, with the built binary against moto behind the fault proxy in its
/// AWS-ETags mode: SSE-KMS objects have ETags that are not their MD5, a copy with other encryption gets another one,
/// and an upload whose checksum does not match its body is refused (BadDigest).
@Suite("other encryption on either side, with AWS's ETags played in front of moto", .timeLimit(.minutes(10)))
struct AWSETagsTests {
    /// Puts `keys` in the primary through `client` (the proxy), SSE-KMS or not, each with its CRC64NVME.
    private func write(_ keys: [String], body: (String) -> String, kms: Bool, client: S3Client, bucket: String) async throws {
        for key in keys {
            let bytes = Array(body(key).utf8)
            try await client.putObject(bucket: bucket, key: key, body: BytesBody(bytes),
                                       options: WriteOptions(encryption: kms ? .kms(keyID: "alias/primary") : nil),
                                       checksum: Checksum.crc64nvme(bytes))
        }
    }

    @Test(arguments: [(primaryKMS: true, backupKMS: false), (true, true), (false, true)])
    func everyPairBacksUpCopiesNothingAgainThenTheOverwrittenThenAdoptsAndRestores(primaryKMS: Bool, backupKMS: Bool) async throws {
        var fixture = try await BackupFixture("aws-etags-\(primaryKMS ? "k" : "s")\(backupKMS ? "k" : "s")")
        defer { fixture.remove() }
        let proxy = try await FaultProxy(upstream: fixture.emulator.server.endpoint, awsETags: true)
        let client = Emulator.client(endpoint: proxy.endpoint)
        fixture.environment["AWS_ENDPOINT_URL"] = proxy.endpoint
        if backupKMS { fixture.flags += ["--sse", "aws:kms", "--sse-kms-key-id", "alias/backup"] }
        let keys = (0..<8).map { "clients/\($0 % 3)/file-\($0).bin" }
        try await write(keys, body: { "object \($0)" }, kms: primaryKMS, client: client, bucket: fixture.primary)

        let first = try await fixture.run()
        #expect(first.status == 0, "\(first.stderr)")
        let work = try #require(first.reports.last?["work"] as? [String: Any])
        #expect(work["copied"] as? Int == 8, "\(work)")
        #expect((work["verified_by_etag"] as? Int ?? 0) == 0, "no ETag can match across other encryption: \(work)")

        let second = try await fixture.run()
        #expect(second.status == 0 && second.reports.last?.int("work", "copied") == 0, "\(second.reports)")

        // Same-size bytes: under SSE-KMS only the ETag AWS gives tells them apart.
        let overwritten = Array(keys.prefix(3))
        try await write(overwritten, body: { "OBJECT \($0)" }, kms: primaryKMS, client: client, bucket: fixture.primary)
        let third = try await fixture.run()
        #expect(third.status == 0 && third.reports.last?.int("work", "copied") == 3, "\(third.reports)")

        // The catalog lost with its disk: what checksums prove equal is adopted, with one HeadObject per side.
        try FileManager.default.moveItem(atPath: fixture.database, toPath: fixture.database + ".lost")
        let rebuilt = try await fixture.run()
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        let report = try #require(rebuilt.reports.last)
        #expect(report.int("plan", "unproven") == 8 && report.int("work", "adopted") == 8 && report.int("work", "copied") == 0,
                "\(report)")
        #expect(try await fixture.run().reports.last?.int("work", "adopted") == 0, "adopted once, then known")

        // A restore into an emptied primary is exact.
        _ = try await client.deleteObjects(bucket: fixture.primary, keys.map { ObjectVersionRef(key: $0) })
        let restored = try await fixture.restore(["--yes"] + (primaryKMS ? ["--sse", "aws:kms"] : []))
        #expect(restored.status == 0, "\(restored.stderr)")
        try await fixture.expectEqual(sample: keys, backupClass: nil)
        let after = try await fixture.run()
        #expect(after.status == 0 && after.reports.last?.int("work", "copied") == 0, "the restored primary is backed up: \(after.reports)")
    }
}

/// A streamed copy (the backup on another server) carries the source's checksum, so a body damaged on its way is
/// refused by the server (BadDigest, here the proxy in front of the backup playing S3) and copied again.
@Suite("streamed copies carry their checksum", .timeLimit(.minutes(10)))
struct StreamedChecksumTests {
    @Test(arguments: Provider.allCases)
    func aBodyDamagedInFlightIsRefusedAndCopiedAgain(backupOn provider: Provider) async throws {
        let other = provider == .moto ? try await HelperServer(script: "emulator.py") : try await provider.server()
        var fixture = try await BackupFixture("damaged", backupServer: (other, provider))
        defer { fixture.remove() }
        let proxy = try await FaultProxy(upstream: other.endpoint, awsETags: true)
        fixture.flags = fixture.flags.map { $0 == other.endpoint ? proxy.endpoint : $0 }
        let keys = (0..<6).map { "damaged/file-\($0).bin" }
        for key in keys {
            let bytes = Array("object \(key), streamed".utf8)
            try await fixture.sourceClient.putObject(bucket: fixture.primary, key: key, body: BytesBody(bytes), options: WriteOptions(),
                                                     checksum: Checksum.crc64nvme(bytes))
        }
        try await proxy.set(["tamper-body": 0.4], only: "/\(fixture.backup)/damaged/")
        let result = try await fixture.run()
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(result.reports.last)
        #expect(report.int("work", "copied") == 6 && report.int("work", "streamed") == 6, "\(report)")
        let injected = try await proxy.stats().injected["tamper-body"] ?? 0
        #expect(injected > 0, "some bodies were damaged on their way")
        try await fixture.expectEqual(sample: keys, backupClass: nil)
        for key in keys {
            let copy = try await fixture.backupClient.headObject(bucket: fixture.backup, key: key)
            #expect(provider == .rgw || copy.checksum?.algorithm == "CRC64NVME", "the copy keeps the source's checksum")
        }
    }
}
