import Foundation
import Queue
import S3

/// Copies one object from the source to the backup so that the copy is exact and comparable:
/// - same service and principal: S3 copies server-side — CopyObject for single-part objects (up to 5 GB, which
///   every single-part object is), UploadPartCopy with the source's own part layout for multipart objects;
/// - different services (another account or provider): GET streamed into PUT through a bounded pipe, part by
///   part with the source's layout for multipart objects.
/// Copying a multipart object part for part makes the backup's ETag equal the source's, so later runs compare
/// exactly. Metadata and tags travel; storage class and encryption are the backup's settings.
struct ObjectCopier: Sendable {
    let source: any ObjectStore
    let backup: any ObjectStore
    let sourceURL: S3URL
    let backupURL: S3URL
    let parameters: RunParameters
    let serverSide: Bool
    /// Parts of one object copied at once.
    var partWidth = 4

    /// The largest object CopyObject takes. https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
    static let copyObjectLimit: Int64 = 5 * 1_000_000_000

    /// What one object came to: the counts, and the catalog row of the copy made or the pair adopted.
    struct Copied {
        var outcome = TaskOutcome()
        var entry: CatalogEntry?
        /// The retain-until date the copy was locked to; nil when it was not locked (or nothing was written).
        var retainUntil: Date?
    }

    /// Copies `item` (or adopts it, when it proves equal to the backup's object), verifies the copy, and says how.
    func copy(_ item: CopyItem, checkBackupFirst: Bool) async throws -> Copied {
        let sourceKey = sourceURL.prefix + item.key, backupKey = backupURL.prefix + item.key
        var copied = Copied()
        if let backupETag = item.backupETag, let entry = await adopt(item, backupETag: backupETag) {
            copied.outcome.adopted = 1
            copied.entry = entry
            return copied
        }
        if checkBackupFirst, let present = try? await backup.headObject(bucket: backupURL.bucket, key: backupKey),
           present.size == item.size, present.etag == item.etag {
            copied.outcome.alreadyPresent = 1
            copied.entry = entry(item.key, source: ObjectInfo(size: item.size, etag: item.etag, versionID: item.versionID),
                                 written: WriteResult(etag: present.etag, versionID: present.versionID, checksum: present.checksum))
            return copied
        }
        let version = item.versionID
        do {
            if serverSide && !item.etag.isMultipart && item.size <= ObjectCopier.copyObjectLimit {
                let retention = parameters.lock?.retention(at: Date())
                let result = try await backup.copyObject(
                    from: ObjectLocation(bucket: sourceURL.bucket, key: sourceKey, versionID: version), to: backupURL.bucket, key: backupKey,
                    storageClass: parameters.storageClass, encryption: parameters.serverSideEncryption, retention: retention,
                    sourceETag: item.etag)
                try await confirmEncryption(of: result, key: backupKey)
                if let retention { try await ensureLocked(result, key: backupKey, retention) }
                copied.retainUntil = retention?.until
                let source = ObjectInfo(size: item.size, etag: item.etag, versionID: version)
                try await verify(result, expected: source, sourceKey: sourceKey, backupKey: backupKey, into: &copied)
                copied.outcome.serverSide = 1
            } else {
                try await copyAsItIsNowRestarting(sourceKey: sourceKey, version: version, backupKey: backupKey, into: &copied)
            }
        } catch let error as S3Error where sourceIsGone(error, sourceKey: sourceKey) {
            // Deleted after it was listed: the next run settles it.
            return Copied(outcome: TaskOutcome(vanished: 1))
        } catch let error as S3Error where error.code == "PreconditionFailed" {
            // The source changed since it was listed: copy the object as it is now.
            try await copyAsItIsNowRestarting(sourceKey: sourceKey, version: version, backupKey: backupKey, into: &copied)
        } catch let error as S3Error where error.status == 400 {
            guard try await needsCustomerKey(error, sourceKey: sourceKey, version: version) else { throw error }
            var left = TaskOutcome()
            left.customerKeyNotCopied = [item.key]
            return Copied(outcome: left)
        }
        copied.outcome.copied = 1
        copied.outcome.copiedBytes = item.size
        copied.entry?.retainUntil = copied.retainUntil
        return copied
    }

    /// The catalog row of `key`'s copy: the source as copied, the copy as written. Where the source's checksum is not
    /// known, the copy's stands for it: S3 keeps the source's checksum on a server-side copy, and a streamed one sent it.
    private func entry(_ key: String, source: ObjectInfo, written: WriteResult, rule: CatalogEntry.Rule = .copied) -> CatalogEntry {
        CatalogEntry(pair: parameters.pair, key: key, size: source.size, sourceETag: source.etag.value, sourceVersion: source.versionID,
                     sourceChecksum: (source.checksum ?? written.checksum)?.description, backupETag: written.etag.value,
                     backupVersion: written.readableVersion, rule: rule)
    }

    /// The pair adopted into the catalog when `item`, whose backup object lists at its size with another ETag
    /// (`backupETag`), proves equal to it: both sides still as listed, and full-object checksums of the same
    /// algorithm equal (HeadObject with checksum mode, one per side). Nil when that cannot be shown (no checksum, or
    /// composite ones, or other algorithms, or a HeadObject refused): then the object is copied.
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
    private func adopt(_ item: CopyItem, backupETag: ETag) async -> CatalogEntry? {
        async let sourceHead = try? source.headObject(bucket: sourceURL.bucket, key: sourceURL.prefix + item.key, versionID: item.versionID)
        async let backupHead = try? backup.headObject(bucket: backupURL.bucket, key: backupURL.prefix + item.key)
        guard let source = await sourceHead, let copy = await backupHead, source.size == item.size, copy.size == item.size,
              source.etag == item.etag, copy.etag == backupETag,
              let left = source.checksum, let right = copy.checksum, left.provesEqual(right) else { return nil }
        return entry(item.key, source: source, written: WriteResult(etag: copy.etag, versionID: copy.versionID, checksum: right),
                     rule: .checksum)
    }

    /// Whether `error` says the source object is gone: S3's NoSuchKey (or, for a version asked by id, NoSuchVersion)
    /// for a copy whose source is missing (CopyObject, UploadPartCopy: the request names the backup, the missing key
    /// is the source), or for a read of the source. A NoSuchKey from the backup's side is no news of the source: RGW
    /// says it for an upload that no longer exists, where AWS says NoSuchUpload.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList (NoSuchVersion)
    private func sourceIsGone(_ error: S3Error, sourceKey: String) -> Bool {
        guard error.code == "NoSuchKey" || error.code == "NoSuchVersion" else { return false }
        switch error.operation {
        case "CopyObject", "UploadPartCopy": return true
        default: return error.bucket == sourceURL.bucket && error.key == sourceKey
        }
    }

    /// Whether a 400 says the source is encrypted with a customer-provided key (SSE-C) that s3backup does not hold: a
    /// copy or read says so in its message; a HeadObject's 400 has no body, so one byte is asked for to hear it.
    private func needsCustomerKey(_ error: S3Error, sourceKey: String, version: String?) async throws -> Bool {
        if error.needsCustomerKey { return true }
        guard error.operation == "HeadObject", error.bucket == sourceURL.bucket, error.key == sourceKey else { return false }
        do {
            _ = try await source.getObject(bucket: sourceURL.bucket, key: sourceKey, versionID: version, range: 0...0, ifMatch: nil,
                                           to: HashSink())
            return false
        } catch let read as S3Error where read.needsCustomerKey {
            return true
        }
    }

    /// How many times one object's copy is made as a whole before it counts as failed for this task attempt.
    static let wholeCopyAttempts = 3

    /// `copyAsItIsNow`, made again as a whole when it broke in a way a new copy can mend: a streamed body cut
    /// mid-way (its requests cannot be replayed, the bytes are gone), a transient error after the client's own
    /// retries, a copy that does not verify. S3's refusals (a missing or changed source, no permission) are not
    /// retried here.
    private func copyAsItIsNowRestarting(sourceKey: String, version: String?, backupKey: String,
                                         into copied: inout Copied) async throws {
        var attempt = 1
        while true {
            do {
                return try await copyAsItIsNow(sourceKey: sourceKey, version: version, backupKey: backupKey, into: &copied)
            } catch where attempt < Self.wholeCopyAttempts && Self.mendedByCopyingAgain(error) {
                try await Task.sleep(for: .milliseconds(Int.random(in: 100...300) << attempt))
                attempt += 1
            }
        }
    }

    /// Whether a new whole copy can mend `error`: anything but S3 refusing the object for good. InvalidPart on
    /// CompleteMultipartUpload means the part list sent was wrong (a part's ETag came back damaged), and BadDigest a
    /// body that arrived other than its checksum says (damaged in flight): a new copy mends both.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList (BadDigest)
    static func mendedByCopyingAgain(_ error: any Error) -> Bool {
        if error is CancellationError || error is Hidden { return false }
        guard let error = error as? S3Error else { return true }
        if error.kind == .configuration { return false }
        return error.status == nil || RetryClassifier.classify(error) != .fatal || error.code == "InvalidPart"
            || error.code == "BadDigest"
    }

    /// Copies the source's current version (or `version`), reading its metadata, tags and part layout first.
    private func copyAsItIsNow(sourceKey: String, version: String?, backupKey: String, into copied: inout Copied) async throws {
        let head = try await source.headObject(bucket: sourceURL.bucket, key: sourceKey, versionID: version)
        let tags = try await source.getObjectTagging(bucket: sourceURL.bucket, key: sourceKey, versionID: version)
        let retention = parameters.lock?.retention(at: Date())
        let options = WriteOptions(metadata: head.metadata, storageClass: parameters.storageClass,
                                   encryption: parameters.serverSideEncryption, tags: tags, retention: retention)
        let written: WriteResult
        var guessedLayout = false
        if let layout = try await layout(of: head, key: sourceKey, version: version) {
            written = try await copyParts(layout.ranges, head: head, sourceKey: sourceKey, version: version, backupKey: backupKey,
                                          options: options)
            copied.outcome.multipart = 1
            guessedLayout = !layout.isSources
        } else if serverSide {
            written = try await backup.copyObject(
                from: ObjectLocation(bucket: sourceURL.bucket, key: sourceKey, versionID: version), to: backupURL.bucket, key: backupKey,
                storageClass: parameters.storageClass, encryption: parameters.serverSideEncryption, retention: retention,
                sourceETag: head.etag)
            if let retention { try await ensureLocked(written, key: backupKey, retention) }
        } else {
            written = try await streamedWhole(head, sourceKey: sourceKey, version: version, backupKey: backupKey, options: options)
        }
        if serverSide { copied.outcome.serverSide = 1 } else { copied.outcome.streamed = 1 }
        try await confirmEncryption(of: written, key: backupKey)
        copied.retainUntil = retention?.until
        if guessedLayout && written.etag != head.etag {
            return try await recordRelayout(written, head: head, sourceKey: sourceKey, version: version, backupKey: backupKey,
                                            into: &copied)
        }
        try await verify(written, expected: head, sourceKey: sourceKey, backupKey: backupKey, into: &copied)
    }

    /// A single-part object streamed into PutObject with a checksum, so the body that arrives is the one read:
    /// the source's full-object checksum where S3 told it (S3 refuses a body that does not match it, `BadDigest`,
    /// and keeps it with the copy); otherwise the CRC64NVME of the bytes read, checked against the one S3 reports
    /// for the upload where it reports one (AWS gives every upload without a checksum a CRC64NVME).
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
    private func streamedWhole(_ head: ObjectInfo, sourceKey: String, version: String?, backupKey: String,
                               options: WriteOptions) async throws -> WriteResult {
        let sent = head.checksum.flatMap { $0.isComposite ? nil : $0 }
        let read = LockedBox(CRC64NVME())
        // S3 takes a retention on a PutObject only with the body's checksum (or Content-MD5) up front; a body streamed
        // without one is locked right after it is written.
        var unlocked = options
        if sent == nil { unlocked.retention = nil }
        let written = try await streamed(range: nil, size: head.size, etag: head.etag, sourceKey: sourceKey, version: version,
                                         hashing: sent == nil ? read : nil) { [unlocked] body in
            try await backup.putObject(bucket: backupURL.bucket, key: backupKey, body: body, options: unlocked, checksum: sent)
        }
        if unlocked.retention == nil, let retention = options.retention { try await lock(written, key: backupKey, retention) }
        if sent == nil, let told = written.checksum, !told.isComposite, told.algorithm == "CRC64NVME", told != read.value.checksum {
            throw S3Error(.invalidResponse, "the backup's CRC64NVME \(told.value) is not that of the \(head.size) bytes read from "
                            + "the source (\(read.value.checksum.value)): the body was damaged in flight; it is copied again",
                          operation: "verify", bucket: backupURL.bucket, key: backupKey)
        }
        return written
    }

    /// A copy whose parts were guessed and whose ETag therefore differs from the source's: verified by its size and
    /// by the source being unchanged since its parts were read (every part asks for the source's ETag, but RGW
    /// ignores `x-amz-copy-source-if-match`: a source overwritten mid-copy would leave a copy of mixed parts),
    /// then the two ETags are recorded together, so the next run knows the pair as unchanged.
    private func recordRelayout(_ written: WriteResult, head: ObjectInfo, sourceKey: String, version: String?, backupKey: String,
                                into copied: inout Copied) async throws {
        let etag = written.etag
        let now = try await source.headObject(bucket: sourceURL.bucket, key: sourceKey, versionID: version)
        guard now.etag == head.etag else {
            throw S3Error(.invalidResponse, "the source changed while it was copied with another part layout (ETag \(head.etag), "
                            + "now \(now.etag)): it is copied again", operation: "verify", bucket: sourceURL.bucket, key: sourceKey)
        }
        let copy = try await backup.headObject(bucket: backupURL.bucket, key: backupKey)
        guard copy.size == head.size, copy.etag == etag else {
            throw S3Error(.invalidResponse, "the copy made with another part layout reads back as \(copy.size) bytes with ETag "
                            + "\(copy.etag), where \(head.size) bytes with ETag \(etag) were written",
                          operation: "verify", bucket: backupURL.bucket, key: backupKey)
        }
        copied.entry = entry(Planner.relative(sourceKey, to: sourceURL.prefix), source: head, written: written)
        copied.outcome.verifiedBySize = 1
        copied.outcome.relayouts = 1
    }

    /// How a multipart object's copy is cut into parts.
    struct PartLayout: Equatable {
        /// The parts' byte ranges, in order.
        var ranges: [ClosedRange<Int64>]
        /// Whether these are the source's own parts (the copy's ETag will equal the source's) rather than a guess.
        var isSources: Bool
    }

    /// The parts of a multipart object (nil for a single-part one), found the first way that works:
    /// 1. HeadObject with `partNumber`, one request per part (parts need not be equal), where the provider honours
    ///    it (AWS does; an answer without `x-amz-mp-parts-count` is a provider that ignored the parameter);
    /// 2. GetObjectAttributes' `ObjectParts`, where implemented and the parts are listed;
    /// 3. otherwise a guess: `chosenLayout`, which the copy's ETag later confirms or refutes.
    /// ListParts cannot help: it forgets an upload once it is completed.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html#API_HeadObject_RequestSyntax
    private func layout(of head: ObjectInfo, key: String, version: String?) async throws -> PartLayout? {
        guard let count = head.etag.parts, head.size > 0 else { return nil }
        func fits(_ sizes: [Int64]?) -> Bool {
            guard let sizes else { return false }
            return sizes.count == count && sizes.reduce(0, +) == head.size && !sizes.contains { $0 <= 0 }
        }
        var sizes = try await partSizesByHead(count: count, size: head.size, key: key, version: version)
        if !fits(sizes) { sizes = try await source.partSizes(bucket: sourceURL.bucket, key: key, versionID: version) }
        guard let sizes, fits(sizes) else { return ObjectCopier.chosenLayout(size: head.size, parts: count) }
        return PartLayout(ranges: ObjectCopier.ranges(sizes), isSources: true)
    }

    /// Each part's size from HeadObject with `partNumber`; nil when the provider ignores the parameter.
    private func partSizesByHead(count: Int, size: Int64, key: String, version: String?) async throws -> [Int64]? {
        let first = try await source.headObject(bucket: sourceURL.bucket, key: key, versionID: version, partNumber: 1)
        guard first.partsCount == count, count == 1 || first.size < size else { return nil }
        let sizes = LockedBox([Int64](repeating: 0, count: count))
        sizes.mutate { $0[0] = first.size }
        try await forEachConcurrently(Array(2..<(count + 1)), width: 8) { number in
            let part = try await source.headObject(bucket: sourceURL.bucket, key: key, versionID: version, partNumber: number)
            sizes.mutate { $0[number - 1] = part.size }
        }
        return sizes.value
    }

    /// Part sizes the common uploaders use, most common first: aws-cli and the AWS SDKs (8 MiB), rclone and the
    /// Go SDK (5 MiB), then sizes other tools and people pick.
    static let commonPartSizes: [Int64] = [8, 5, 16, 10, 15, 32, 25, 50, 64, 100, 128, 256, 512, 1_024].map { $0 << 20 }

    /// A layout of `parts` parts for an object of `size` bytes when the source's own cannot be read: the first
    /// common part size that cuts the object into exactly that many parts (its uploader's layout, most likely),
    /// else equal parts rounded up to a MiB. S3's limits hold: at least 5 MiB but the last, at most 5 GiB, at
    /// most 10,000 parts. https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
    static func chosenLayout(size: Int64, parts: Int) -> PartLayout {
        precondition(size > 0 && parts > 0, "a layout of a non-empty object")
        let mebibyte: Int64 = 1 << 20
        let partSize: Int64 = commonPartSizes.first { divide(size, $0) == Int64(parts) }
            ?? min(5 << 30, max(5 * mebibyte, divide(divide(size, Int64(parts)), mebibyte) * mebibyte, divide(size, 10_000)))
        let sizes = stride(from: Int64(0), to: size, by: Int(partSize)).map { min(partSize, size - $0) }
        return PartLayout(ranges: ranges(sizes), isSources: false)
    }

    /// `value / divisor`, rounded up.
    private static func divide(_ value: Int64, _ divisor: Int64) -> Int64 { (value + divisor - 1) / divisor }

    /// Consecutive byte ranges of these sizes, from 0.
    static func ranges(_ sizes: [Int64]) -> [ClosedRange<Int64>] {
        var offset: Int64 = 0
        return sizes.map { size in
            defer { offset += size }
            return offset...(offset + size - 1)
        }
    }

    /// A multipart copy with the given part ranges; aborted on any failure so no parts linger.
    private func copyParts(_ ranges: [ClosedRange<Int64>], head: ObjectInfo, sourceKey: String, version: String?,
                           backupKey: String, options: WriteOptions) async throws -> WriteResult {
        // Parts streamed into a locked upload would each need their checksum up front: such a copy is locked once made.
        var upload = options
        if !serverSide { upload.retention = nil }
        let written = try await copyParts(ranges, head: head, sourceKey: sourceKey, version: version, backupKey: backupKey, upload: upload)
        if let retention = options.retention {
            // A retention given to CreateMultipartUpload lands on the object on AWS; moto drops it. So it is read back.
            let held = upload.retention == nil ? nil
                : try await backup.headObject(bucket: backupURL.bucket, key: backupKey, versionID: written.readableVersion).retention
            if held.map({ $0.until < retention.until }) ?? true { try await lock(written, key: backupKey, retention) }
        }
        return written
    }

    /// Whether CopyObject keeps the retention it is asked for, by backup endpoint: AWS does; Ceph's RGW 16.2 takes
    /// the headers and ignores them. Learnt from each process's first locked copy to an endpoint, read back.
    private static let copiesKeepRetention = LockedBox<[String: Bool]>([:])

    /// Makes sure the version a CopyObject wrote holds `retention`: read back on the first locked copy to this
    /// endpoint, then trusted or followed by PutObjectRetention as that copy showed.
    private func ensureLocked(_ written: WriteResult, key: String, _ retention: ObjectRetention) async throws {
        let endpoint = backup.endpoint.description
        switch Self.copiesKeepRetention.value[endpoint] {
        case true?: return
        case false?: try await lock(written, key: key, retention)
        case nil:
            let held = try await backup.headObject(bucket: backupURL.bucket, key: key, versionID: written.readableVersion).retention
            let kept = held.map { $0.mode == retention.mode && $0.until >= retention.until } ?? false
            Self.copiesKeepRetention.mutate { $0[endpoint] = kept }
            if !kept { try await lock(written, key: key, retention) }
        }
    }

    /// Locks the version just written as `retention` says, where the write itself could not.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectRetention.html
    private func lock(_ written: WriteResult, key: String, _ retention: ObjectRetention) async throws {
        try await backup.putObjectRetention(bucket: backupURL.bucket, key: key, versionID: written.readableVersion, retention: retention)
    }

    /// The upload itself, written with `options`: parts copied server-side or streamed, completed, its tags ensured.
    private func copyParts(_ ranges: [ClosedRange<Int64>], head: ObjectInfo, sourceKey: String, version: String?,
                           backupKey: String, upload options: WriteOptions) async throws -> WriteResult {
        let upload = try await backup.createMultipartUpload(bucket: backupURL.bucket, key: backupKey, options: options)
        do {
            let parts = LockedBox<[CompletedPart]>([])
            try await forEachConcurrently(Array(ranges.enumerated()), width: partWidth) { index, range in
                let part: CompletedPart
                if serverSide {
                    part = try await backup.uploadPartCopy(
                        bucket: backupURL.bucket, key: backupKey, uploadID: upload, number: index + 1,
                        source: ObjectLocation(bucket: sourceURL.bucket, key: sourceKey, versionID: version), range: range,
                        sourceETag: head.etag)
                } else {
                    part = try await streamed(range: range, size: Int64(range.count), etag: head.etag, sourceKey: sourceKey,
                                              version: version) { body in
                        try await backup.uploadPart(bucket: backupURL.bucket, key: backupKey, uploadID: upload,
                                                    number: index + 1, body: body)
                    }
                }
                parts.mutate { $0.append(part) }
            }
            let written = try await backup.completeMultipartUpload(bucket: backupURL.bucket, key: backupKey, uploadID: upload,
                                                                   parts: parts.value)
            try await ensureTags(options.tags ?? [], on: backupKey, version: written.readableVersion)
            return written
        } catch {
            try? await backup.abortMultipartUpload(bucket: backupURL.bucket, key: backupKey, uploadID: upload)
            throw error
        }
    }

    /// A write asked to encrypt is answered with how S3 encrypted it (`x-amz-server-side-encryption`). A provider
    /// that answers nothing may have taken the header and stored the copy unencrypted (Ceph's RGW without a key
    /// service does so on CopyObject): that copy is refused, not counted as the encrypted one the settings promise.
    /// It is hidden again with a plain delete (a delete marker: the nightly role is denied s3:DeleteObjectVersion, so a
    /// stolen key cannot erase history), so the next run finds it missing and every run fails until the setting is
    /// changed; the copy's bytes stay as a noncurrent version, for the setup role to remove. The marker is s3backup's
    /// own, so the error carries its version id for the catalog: the tamper report must not call it someone else's.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html#AmazonS3-CopyObject-response-header-ServerSideEncryption
    private func confirmEncryption(of written: WriteResult, key: String) async throws {
        guard let asked = parameters.serverSideEncryption, written.encryption != asked.algorithm else { return }
        var removed = false, marker: String?
        do {
            marker = try await backup.deleteObject(bucket: backupURL.bucket, key: key)
            removed = true
        } catch {} // the refusal is the error to tell, whether or not the copy could be hidden
        throw Hidden(marker: marker, error: S3Error(
            .configuration, "the provider did not confirm server-side encryption \(asked.algorithm) for the copy "
                + "(it answered \(written.encryption ?? "nothing")), so it may be stored unencrypted"
                + (removed ? " (the copy was removed)" : "") + "; pass --sse none where the "
                + "provider has no server-side encryption, or another --sse", operation: "verify", bucket: backupURL.bucket, key: key))
    }

    /// A copy written and then refused: why, and the version id of the delete marker placed over it, if one was.
    struct Hidden: Error {
        var marker: String?
        var error: S3Error
    }

    /// Tags given to CreateMultipartUpload land on the object on AWS; Ceph's RGW drops them. So a multipart copy
    /// that should carry tags is checked (HeadObject's `x-amz-tagging-count`) and, where they are missing, given
    /// them with PutObjectTagging on the version just written.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html#AmazonS3-CreateMultipartUpload-request-header-Tagging
    private func ensureTags(_ tags: [Tag], on key: String, version: String?) async throws {
        guard !tags.isEmpty else { return }
        let written = try await backup.headObject(bucket: backupURL.bucket, key: key, versionID: version)
        if written.tagCount != tags.count {
            try await backup.putObjectTagging(bucket: backupURL.bucket, key: key, versionID: version, tags: tags)
        }
    }

    /// Streams `range` (or all) of the source into `upload` through a pipe: constant memory, both at once; the
    /// bytes read go through `hashing` too, when given.
    private func streamed<T: Sendable>(range: ClosedRange<Int64>?, size: Int64, etag: ETag, sourceKey: String, version: String?,
                                       hashing: LockedBox<CRC64NVME>? = nil,
                                       upload: @escaping @Sendable (PipeSource) async throws -> T) async throws -> T {
        let pipe = StreamPipe(capacity: 2 << 20)
        async let download: Void = {
            do {
                _ = try await source.getObject(bucket: sourceURL.bucket, key: sourceKey, versionID: version, range: range, ifMatch: etag,
                                               to: PipeSink(pipe: pipe, hashing: hashing))
                pipe.finishWriting()
            } catch {
                pipe.fail("reading the source failed: \(error)")
                throw error
            }
        }()
        do {
            let result = try await upload(PipeSource(pipe: pipe, count: size))
            try await download
            return result
        } catch {
            pipe.fail("writing the backup failed: \(error)")
            // When S3 refused the download (the source is gone or changed), that is the cause, not the upload's
            // broken pipe: report it, so a vanished object is counted as such.
            do { try await download } catch let cause as S3Error where cause.status != nil { throw cause } catch {}
            throw error
        }
    }

    /// A copy is verified by equal ETags, or by a full-object checksum equal to the source's (S3 keeps the source's on
    /// a server-side copy; a streamed one sent it). Where ETags are not comparable — SSE-KMS or SSE-C on either side
    /// makes an ETag that is not the MD5 of the body, so a copy with other encryption gets another one — and no
    /// checksum decides, it is verified by its size and the copy's success (S3 copied the version whose ETag was
    /// asked for). Either way the copy's row goes into the catalog, so the next run knows the two objects as equal.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html (ETag)
    private func verify(_ written: WriteResult, expected: ObjectInfo, sourceKey: String, backupKey: String,
                        into copied: inout Copied) async throws {
        let key = Planner.relative(sourceKey, to: sourceURL.prefix)
        if written.etag == expected.etag {
            copied.outcome.verifiedByETag = 1
            copied.entry = entry(key, source: expected, written: written)
            return
        }
        // The copy read back: at the size written, and with the source's checksum where both have one.
        func verifiedByReading(_ original: ObjectInfo) async throws -> Bool {
            let copy = try await backup.headObject(bucket: backupURL.bucket, key: backupKey, versionID: written.readableVersion)
            guard copy.size == original.size, copy.etag == written.etag else { return false }
            if let left = original.checksum, let right = copy.checksum, left.algorithm == right.algorithm,
               !left.isComposite, !right.isComposite {
                guard left.value == right.value else { return false }
                copied.outcome.verifiedByChecksum = 1
            } else {
                copied.outcome.verifiedBySize = 1
            }
            copied.entry = entry(key, source: original, written: WriteResult(etag: written.etag, versionID: written.versionID,
                                                                              checksum: copy.checksum))
            return true
        }
        // Written with SSE-KMS (asked, or the bucket's default): the copy's ETag says nothing of its body.
        if parameters.encryption == "aws:kms" || written.encryption?.hasPrefix("aws:kms") == true,
           try await verifiedByReading(expected) { return }
        // The source may have changed while it was copied: then the copy must equal what the source is now. Or it
        // is encrypted so that its ETag is no MD5, and the copy's (with other encryption) differs.
        let now = try await source.headObject(bucket: sourceURL.bucket, key: sourceKey, versionID: expected.versionID)
        if now.etag == written.etag {
            copied.outcome.verifiedByETag = 1
            copied.entry = entry(key, source: now, written: written)
            return
        }
        if now.etag == expected.etag, ObjectCopier.hidesMD5(now), try await verifiedByReading(now) { return }
        throw S3Error(.invalidResponse, "the copy's ETag \(written.etag) does not match the source's \(expected.etag)",
                      operation: "verify", bucket: backupURL.bucket, key: backupKey)
    }

    /// Whether S3 gave `object` an ETag that is not the MD5 of its body: SSE-KMS (or DSSE-KMS), or SSE-C.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html (ETag)
    static func hidesMD5(_ object: ObjectInfo) -> Bool {
        object.serverSideEncryption?.hasPrefix("aws:kms") == true || object.customerKeyAlgorithm != nil
    }
}
