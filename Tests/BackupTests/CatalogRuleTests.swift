@testable import Backup
import Foundation
import Queue
import S3
import TestSupport
import Testing

/// The catalog of copies against the in-memory store's AWS ETags: SSE-KMS objects get ETags that are not their MD5,
/// copies with other encryption get other ETags, checksums are kept on copy and a body that does not match the
/// checksum sent with it is refused (BadDigest).
@Suite("the catalog: exact whatever the encryption, in memory", .timeLimit(.minutes(2)))
struct CatalogRuleTests {
    static let keys = (1...5).map { "k\($0)" }

    /// `fixture` with the primary's default encryption `primary` and the backup written with `backup`.
    static func fixture(primary: ServerSideEncryption?, backup: ServerSideEncryption) -> StoreFixture {
        var fixture = StoreFixture()
        fixture.store.setDefaultEncryption("primary", primary)
        fixture.parameters.encryption = backup.algorithm
        if case .kms(let keyID) = backup { fixture.parameters.kmsKeyID = keyID }
        return fixture
    }

    /// The keys a worker's change lines say it copied, relative to the backup prefix `prefix`.
    static func copiedKeys(_ changes: [String], prefix: String) -> [String] {
        changes.filter { $0.hasPrefix("copied \"\(prefix)") }
            .map { String($0.dropFirst("copied \"\(prefix)".count).prefix { $0 != "\"" }) }.sorted()
    }

    @Test(arguments: [ServerSideEncryption?.none, .s3, .kms(keyID: "alias/primary")], [ServerSideEncryption.s3, .kms(keyID: "alias/backup")])
    func everyPairBacksUpThenCopiesNothingThenExactlyTheOverwrittenAndRestores(primary: ServerSideEncryption?,
                                                                              backup: ServerSideEncryption) async throws {
        let fixture = Self.fixture(primary: primary, backup: backup)
        for key in Self.keys { try fixture.source(key, "body of \(key)") }

        let first = try await fixture.work()
        #expect(first.dead.isEmpty, "\(first.dead)")
        #expect(first.outcome.copied == 5, "\(first.outcome)")
        #expect(first.outcome.verifiedByETag + first.outcome.verifiedByChecksum + first.outcome.verifiedBySize == 5)
        let kept = (first.queue, first.directory)

        let second = try await fixture.work(in: kept)
        #expect(second.outcome.copied == 0 && second.dead.isEmpty, "\(second.outcome)")

        // Same-size bytes: only an ETag (and, under SSE-KMS, not even one that is the MD5) tells them apart.
        for key in ["k1", "k3", "k5"] { try fixture.source(key, "BODY of \(key)") }
        let third = try await fixture.work(in: kept)
        #expect(third.outcome.copied == 3 && third.dead.isEmpty, "\(third.outcome)")
        #expect(Self.copiedKeys(third.changes, prefix: "bk/") == ["k1", "k3", "k5"])

        // The primary emptied, restored, and backed up again: the restore's rows, read the other way round, know
        // every object (its ETags now those of the restored copies) as the one in the backup.
        let before = Dictionary(uniqueKeysWithValues: Self.keys.map { ($0, fixture.store.body(bucket: "primary", key: "data/" + $0)) })
        for key in Self.keys { try await fixture.store.deleteObject(bucket: "primary", key: "data/" + key) }
        var restore = fixture
        restore.parameters = RunParameters(source: Side(url: "s3://backup/bk"), backup: Side(url: "s3://primary/data"))
        restore.parameters.kind = "restore"
        restore.parameters.encryption = primary?.algorithm ?? "none"
        let restored = try await restore.work(in: kept)
        #expect(restored.outcome.copied == 5 && restored.dead.isEmpty, "\(restored.outcome)")
        for key in Self.keys { #expect(fixture.store.body(bucket: "primary", key: "data/" + key) == before[key]!) }
        #expect(try await restore.work(in: kept).outcome.copied == 0, "a second restore finds every object in place")
        #expect(try await fixture.work(in: kept).outcome.copied == 0, "the next backup finds every restored object backed up")
    }

    /// A queue file lost with its disk: objects whose ETags differ are compared by their full-object checksums, one
    /// HeadObject per side, and adopted into the new catalog where equal; the one without a checksum is copied.
    /// The run after costs no request per object.
    @Test func aLostCatalogIsRebuiltFromChecksumsWithOneHeadPerSide() async throws {
        let fixture = Self.fixture(primary: .kms(keyID: "alias/primary"), backup: .s3)
        for key in Self.keys.dropLast() { try fixture.store.put("primary", "data/" + key, Array("body of \(key)".utf8), checksum: .crc64nvme) }
        try fixture.source("k5", "body of k5")
        let first = try await fixture.work()
        #expect(first.outcome.copied == 5 && first.dead.isEmpty, "\(first.outcome)")

        let (lost, heads) = try await Self.heads(fixture.store) { try await fixture.work() }
        #expect(lost.outcome.adopted == 4 && lost.outcome.copied == 1 && lost.dead.isEmpty, "\(lost.outcome)")
        #expect(try await lost.queue.catalogEntry(pair: fixture.parameters.pair, key: "k1")?.rule == .checksum)
        // One HeadObject per side each; the one without a checksum is then copied, and its copy's verification reads
        // the source and the copy once more.
        #expect(heads == 10 + 2, "\(heads) HeadObjects")
        let (again, more) = try await Self.heads(fixture.store) { try await fixture.work(in: (lost.queue, lost.directory)) }
        #expect(again.outcome.copied == 0 && again.outcome.adopted == 0 && more == 0, "\(again.outcome), \(more) HeadObjects")
    }

    /// HeadObjects `body` costs, and what it returned.
    static func heads<T>(_ store: InMemoryObjectStore, _ body: () async throws -> T) async throws -> (T, Int) {
        let before = store.operations.filter { $0 == "HeadObject" }.count
        let result = try await body()
        return (result, store.operations.filter { $0 == "HeadObject" }.count - before)
    }

    /// A backup object overwritten or deleted behind s3backup's back is copied again, and the plan counts it as
    /// changed in the backup, though the primary did not change.
    @Test func aBackupObjectChangedBehindOurBackIsCopiedAgain() async throws {
        let fixture = Self.fixture(primary: .kms(keyID: "alias/primary"), backup: .s3)
        for key in Self.keys { try fixture.source(key, "body of \(key)") }
        let first = try await fixture.work()
        try fixture.backup("k2", "tampered!!")
        try await fixture.store.deleteObject(bucket: "backup", key: "bk/k4")
        var planner = try fixture.planner()
        planner.catalog = first.queue
        let findings = try await planner.planAll(into: CollectingSink())
        #expect(findings.changedInBackup == 2 && findings.missing == 1 && findings.changed == 1 && findings.same == 3, "\(findings)")
        let second = try await fixture.work(in: (first.queue, first.directory))
        #expect(Self.copiedKeys(second.changes, prefix: "bk/") == ["k2", "k4"])
        #expect(fixture.store.body(bucket: "backup", key: "bk/k2") == Array("body of k2".utf8))
    }

    /// A streamed copy whose body is damaged on its way to the backup is refused (BadDigest, where the source's
    /// checksum went with it) or caught (the CRC64NVME of the bytes read differs from the backup's), and copied again.
    @Test(arguments: [true, false])
    func aStreamedBodyDamagedInFlightIsCopiedAgain(sourceHasChecksum: Bool) async throws {
        let fixture = StoreFixture()
        try fixture.store.put("primary", "data/a", Array("the body".utf8), checksum: sourceHasChecksum ? .crc32 : nil)
        fixture.store.damageUploads(1)
        let copied = try await fixture.copier(serverSide: false).copy(try await fixture.listed("a"), checkBackupFirst: false)
        #expect(copied.outcome.copied == 1 && copied.outcome.streamed == 1, "\(copied.outcome)")
        #expect(fixture.store.operations.filter { $0 == "PutObject" }.count == 2, "the damaged upload and the one after")
        #expect(fixture.store.body(bucket: "backup", key: "bk/a") == Array("the body".utf8))
        let kept = try #require(try fixture.store.checksum(bucket: "backup", key: "bk/a"))
        #expect(kept.header == (sourceHasChecksum ? "x-amz-checksum-crc32" : "x-amz-checksum-crc64nvme"))
    }
}
