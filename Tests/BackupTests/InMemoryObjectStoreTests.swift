import Foundation
import S3
import SigV4
import TestSupport
import Testing

/// The in-memory store answers as S3 documents: these pin the behaviours the copy rules rely on.
@Suite("the in-memory object store behaves as S3", .timeLimit(.minutes(1)))
struct InMemoryObjectStoreTests {
    let store = InMemoryObjectStore()

    init() {
        store.createBucket("b")
    }

    private func keys(prefix: String = "", delimiter: String? = nil, startAfter: String? = nil,
                      pageSize: Int = 1_000) async throws -> (keys: [String], prefixes: [String], pages: [Int]) {
        var keys: [String] = [], prefixes: [String] = [], pages: [Int] = []
        for try await page in store.listObjects(bucket: "b", prefix: prefix, delimiter: delimiter, startAfter: startAfter,
                                                pageSize: pageSize) {
            keys += page.objects.map(\.key)
            prefixes += page.commonPrefixes
            pages.append(page.objects.count + page.commonPrefixes.count)
        }
        return (keys, prefixes, pages)
    }

    @Test func listsKeysInUTF8ByteOrderNotUnicodeOrder() async throws {
        // "é" precomposed (C3 A9) and decomposed (65 CC 81) are two keys to S3, which Swift's String == merges.
        let written = ["b", "é", "Z", "e\u{301}", "z", "ä", "a"]
        for key in written { try store.put("b", key, Array(key.utf8)) }
        let listed = try await keys().keys
        #expect(listed.map { Array($0.utf8) } == [[0x5A], [0x61], [0x62], [0x65, 0xCC, 0x81], [0x7A], [0xC3, 0xA4], [0xC3, 0xA9]])
    }

    @Test func pagesHoldAtMostAThousandAndMaxKeysIsHonoured() async throws {
        let all = (0..<2_345).map { String(format: "k%05d", $0) }
        for key in all.shuffled() { try store.put("b", key, []) }
        let whole = try await keys()
        #expect(whole.pages == [1_000, 1_000, 345])
        #expect(whole.keys == all)
        let small = try await keys(pageSize: 700)
        #expect(small.pages == [700, 700, 700, 245])
        #expect(small.keys == all)
        let page = try await store.listObjectsPage(bucket: "b", prefix: "", delimiter: nil, startAfter: nil,
                                                   continuationToken: nil, maxKeys: 5_000)
        #expect(page.page.objects.count == 1_000 && page.isTruncated)
    }

    @Test func startAfterListsOnlyLaterKeys() async throws {
        for key in ["a", "b", "b0", "c"] { try store.put("b", key, []) }
        #expect(try await keys(startAfter: "b").keys == ["b0", "c"])
        #expect(try await keys(startAfter: "a\u{7F}").keys == ["b", "b0", "c"])
    }

    @Test func delimiterRollsKeysUpIntoCommonPrefixesCountedOnce() async throws {
        for key in ["a/1", "a/2", "b", "c/d/e", "c/x", "c/d/f"] { try store.put("b", key, []) }
        let top = try await keys(delimiter: "/")
        #expect(top.keys == ["b"] && top.prefixes == ["a/", "c/"])
        let inner = try await keys(prefix: "c/", delimiter: "/")
        #expect(inner.keys == ["c/x"] && inner.prefixes == ["c/d/"])
        // One entry a page: a common prefix is one entry, never repeated on the pages after it.
        let paged = try await keys(delimiter: "/", pageSize: 1)
        #expect(paged.pages == [1, 1, 1] && paged.prefixes == ["a/", "c/"] && paged.keys == ["b"])
    }

    @Test func versionsAreListedNewestFirstWithDeleteMarkers() async throws {
        let first = try store.put("b", "a", Array("one".utf8))
        let second = try store.put("b", "a", Array("two".utf8))
        let placed = try await store.deleteObject(bucket: "b", key: "a")
        try store.put("b", "b", Array("b".utf8))
        let answer = try await store.listObjectVersionsPage(bucket: "b", prefix: "", delimiter: nil, keyMarker: nil,
                                                            versionIDMarker: nil, maxKeys: 1_000)
        let versions = answer.page.versions
        #expect(versions.map(\.key) == ["a", "a", "a", "b"])
        #expect(versions.map(\.isDeleteMarker) == [true, false, false, false])
        #expect(versions.map(\.isLatest) == [true, false, false, true])
        #expect(placed == versions[0].versionID, "DeleteObject tells the marker's version id")
        #expect(versions[1].versionID == second.versionID && versions[2].versionID == first.versionID)
        #expect(versions[1].lastModified > versions[2].lastModified)
        #expect(try await keys().keys == ["b"])

        let gone = await #expect(throws: S3Error.self) { try await store.headObject(bucket: "b", key: "a") }
        #expect(gone?.code == "NoSuchKey" && gone?.status == 404 && gone?.operation == "HeadObject")
        #expect(try await store.headObject(bucket: "b", key: "a", versionID: first.versionID).etag == ETag(md5Of: Array("one".utf8)))
        let marker = await #expect(throws: S3Error.self) {
            try await store.headObject(bucket: "b", key: "a", versionID: versions[0].versionID)
        }
        #expect(marker?.status == 405)
        #expect(try await store.deleteObject(bucket: "b", key: "a", versionID: first.versionID) == nil, "a version deleted: no marker")
    }

    @Test func versionPagesContinueInsideOneKeysVersions() async throws {
        var written: [String] = []
        for index in 0..<5 { written.insert(try store.put("b", "k", [UInt8(index)]).versionID!, at: 0) }
        var seen: [String] = [], keyMarker: String?, versionMarker: String?
        while true {
            let answer = try await store.listObjectVersionsPage(bucket: "b", prefix: "", delimiter: nil, keyMarker: keyMarker,
                                                                versionIDMarker: versionMarker, maxKeys: 2)
            seen += answer.page.versions.map(\.versionID)
            guard answer.isTruncated else { break }
            #expect(answer.nextKeyMarker == "k")
            (keyMarker, versionMarker) = (answer.nextKeyMarker, answer.nextVersionIDMarker)
        }
        #expect(seen == written)
    }

    @Test func singlePartETagIsTheBodysMD5AndMultipartTheMD5OfPartMD5s() async throws {
        let hello = try store.put("b", "hello", Array("hello".utf8))
        #expect(hello.etag.quoted == "\"5d41402abc4b2a76b9719d911017c592\"")
        let parts: [[UInt8]] = [[UInt8](repeating: 1, count: 5 << 20), [2, 3, 4]]
        let multipart = try store.putMultipart("b", "big", parts: parts)
        let expected = Digest.md5(Digest.md5(parts[0]) + Digest.md5(parts[1])).hex + "-2"
        #expect(multipart.etag.value == expected && multipart.etag.parts == 2)
        let part2 = try await store.headObject(bucket: "b", key: "big", versionID: nil, partNumber: 2)
        #expect(part2.size == 3 && part2.partsCount == 2 && part2.etag == multipart.etag)
    }

    @Test func multipartUploadsRefuseSmallPartsAndWrongETags() async throws {
        let upload = try await store.createMultipartUpload(bucket: "b", key: "m")
        let small = try await store.uploadPart(bucket: "b", key: "m", uploadID: upload, number: 1, body: BytesBody([1]))
        let last = try await store.uploadPart(bucket: "b", key: "m", uploadID: upload, number: 2, body: BytesBody([2]))
        let tooSmall = await #expect(throws: S3Error.self) {
            try await store.completeMultipartUpload(bucket: "b", key: "m", uploadID: upload, parts: [small, last])
        }
        #expect(tooSmall?.code == "EntityTooSmall")
        let wrong = await #expect(throws: S3Error.self) {
            try await store.completeMultipartUpload(bucket: "b", key: "m", uploadID: upload,
                                                    parts: [CompletedPart(number: 1, etag: last.etag)])
        }
        #expect(wrong?.code == "InvalidPart")
        let done = try await store.completeMultipartUpload(bucket: "b", key: "m", uploadID: upload, parts: [small])
        #expect(done.etag == InMemoryObjectStore.multipartETag([Digest.md5([1])]))
        #expect(store.openUploads == 0)
    }

    @Test func copyPreconditionsDirectivesAndErrors() async throws {
        let options = WriteOptions(metadata: ObjectMetadata(contentType: "text/plain", user: ["owner": "ann"]),
                                   storageClass: "STANDARD_IA", tags: [Tag(key: "t", value: "1")])
        let source = try store.put("b", "src", Array("body".utf8), options: options)
        let from = ObjectLocation(bucket: "b", key: "src")
        let refused = await #expect(throws: S3Error.self) {
            try await store.copyObject(from: from, to: "b", key: "dst", storageClass: nil, encryption: nil,
                                       sourceETag: ETag(md5Of: Array("other".utf8)))
        }
        #expect(refused?.code == "PreconditionFailed" && refused?.status == 412 && refused?.operation == "CopyObject")
        #expect(refused?.key == "dst")

        let copied = try await store.copyObject(from: from, to: "b", key: "dst", storageClass: nil, encryption: nil,
                                                sourceETag: source.etag)
        #expect(copied.etag == source.etag)
        let head = try await store.headObject(bucket: "b", key: "dst")
        #expect(head.metadata == options.metadata && head.storageClass == "STANDARD" && head.tagCount == 1)
        #expect(try await store.getObjectTagging(bucket: "b", key: "dst") == [Tag(key: "t", value: "1")])

        try await store.copyObject(from: from, to: "b", key: "replaced", metadata: .replace(ObjectMetadata(contentType: "a/b")),
                                   tags: .replace([]))
        let replaced = try await store.headObject(bucket: "b", key: "replaced")
        #expect(replaced.metadata == ObjectMetadata(contentType: "a/b") && replaced.tagCount == 0)

        let missing = await #expect(throws: S3Error.self) {
            try await store.copyObject(from: ObjectLocation(bucket: "b", key: "nothing"), to: "b", key: "dst")
        }
        #expect(missing?.code == "NoSuchKey" && missing?.operation == "CopyObject")
    }

    @Test func encryptedObjectsHaveETagsThatAreNotTheirMD5() async throws {
        store.createBucket("kms")
        store.setDefaultEncryption("kms", .kms(keyID: nil))
        let body = Array("secret".utf8)
        let written = try store.put("kms", "s", body)
        #expect(written.etag != ETag(md5Of: body) && !written.etag.isMultipart && written.encryption == "aws:kms")
        let copy = try await store.copyObject(from: ObjectLocation(bucket: "kms", key: "s"), to: "kms", key: "copy")
        #expect(copy.etag != written.etag && copy.etag != ETag(md5Of: body))
        // Into a bucket without the default, asked for nothing: SSE-S3, whose ETag is the MD5 again.
        let plain = try await store.copyObject(from: ObjectLocation(bucket: "kms", key: "s"), to: "b", key: "plain")
        #expect(plain.etag == ETag(md5Of: body) && plain.encryption == "AES256")
    }

    @Test(arguments: ["GLACIER", "DEEP_ARCHIVE"])
    func archivedObjectsRefuseReadsAndCopiesUntilRestored(storageClass: String) async throws {
        try store.put("b", "cold", Array("ice".utf8), options: WriteOptions(storageClass: storageClass))
        #expect(try await store.headObject(bucket: "b", key: "cold").storageClass == storageClass)
        let read = await #expect(throws: S3Error.self) { try await store.getObject(bucket: "b", key: "cold", to: Bytes()) }
        #expect(read?.code == "InvalidObjectState" && read?.status == 403)
        let copy = await #expect(throws: S3Error.self) {
            try await store.copyObject(from: ObjectLocation(bucket: "b", key: "cold"), to: "b", key: "warm")
        }
        #expect(copy?.code == "ObjectNotInActiveTierError" && copy?.status == 403)
        try store.restore(bucket: "b", key: "cold")
        let sink = Bytes()
        try await store.getObject(bucket: "b", key: "cold", to: sink)
        #expect(sink.bytes == Array("ice".utf8))
        try await store.copyObject(from: ObjectLocation(bucket: "b", key: "cold"), to: "b", key: "warm")
    }

    @Test func checksumsAreKeptAndReturnedWhenAsked() async throws {
        try store.put("b", "c", Array("hello".utf8), checksum: .crc32)
        try store.put("b", "s", Array("hello".utf8), checksum: .sha256)
        try store.put("b", "none", Array("hello".utf8))
        #expect(try store.checksum(bucket: "b", key: "c")! == ("x-amz-checksum-crc32", "NhCmhg=="))
        #expect(try store.checksum(bucket: "b", key: "s")! == ("x-amz-checksum-sha256", "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="))
        #expect(try store.checksum(bucket: "b", key: "none") == nil)
        try await store.copyObject(from: ObjectLocation(bucket: "b", key: "c"), to: "b", key: "c2")
        #expect(try store.checksum(bucket: "b", key: "c2")! == ("x-amz-checksum-crc32", "NhCmhg=="))
    }

    @Test func rangesAndIfMatchOnGet() async throws {
        let written = try store.put("b", "r", Array("0123456789".utf8))
        let sink = Bytes()
        let info = try await store.getObject(bucket: "b", key: "r", versionID: nil, range: 2...4, ifMatch: written.etag, to: sink)
        #expect(sink.bytes == Array("234".utf8) && info.size == 3)
        let changed = await #expect(throws: S3Error.self) {
            try await store.getObject(bucket: "b", key: "r", versionID: nil, range: nil, ifMatch: ETag("0000"), to: Bytes())
        }
        #expect(changed?.code == "PreconditionFailed")
    }
}

/// A sink that keeps what it is given.
final class Bytes: BodySink, @unchecked Sendable {
    // @unchecked: `stored` is only touched under `lock`.
    private let lock = NSLock()
    private var stored: [UInt8] = []
    var bytes: [UInt8] { lock.withLock { stored } }

    func makeWriter() throws -> any BodyWriter { Writer(sink: self) }

    private struct Writer: BodyWriter {
        let sink: Bytes
        var collected: [UInt8] = []
        mutating func write(_ bytes: UnsafeRawBufferPointer) throws { collected += bytes }
        mutating func finish() throws {
            let collected = collected
            sink.lock.withLock { sink.stored = collected }
        }
    }
}
