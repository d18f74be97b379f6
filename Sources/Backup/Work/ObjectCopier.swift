import Foundation
import S3

/// Copies one object from the source to the backup so that the copy is exact and comparable:
/// - same service and principal: S3 copies server-side — CopyObject for single-part objects (up to 5 GB, which
///   every single-part object is), UploadPartCopy with the source's own part layout for multipart objects;
/// - different services (another account or provider): GET streamed into PUT through a bounded pipe, part by
///   part with the source's layout for multipart objects.
/// Copying a multipart object part for part makes the backup's ETag equal the source's, so later runs compare
/// exactly. Metadata and tags travel; storage class and encryption are the backup's settings.
struct ObjectCopier: Sendable {
    let source: S3Client
    let backup: S3Client
    let sourceURL: S3URL
    let backupURL: S3URL
    let parameters: RunParameters
    let serverSide: Bool
    /// Parts of one object copied at once.
    var partWidth = 4

    /// The largest object CopyObject takes. https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
    static let copyObjectLimit: Int64 = 5 * 1_000_000_000

    /// Copies `item`, verifies the copy, and says how.
    func copy(_ item: CopyItem, checkBackupFirst: Bool) async throws -> TaskOutcome {
        let sourceKey = sourceURL.prefix + item.key, backupKey = backupURL.prefix + item.key
        var outcome = TaskOutcome()
        if checkBackupFirst, let present = try? await backup.headObject(bucket: backupURL.bucket, key: backupKey),
           present.size == item.size, present.etag == item.etag {
            outcome.alreadyPresent = 1
            return outcome
        }
        let version = item.versionID
        do {
            if serverSide && !item.etag.isMultipart && item.size <= ObjectCopier.copyObjectLimit {
                let result = try await backup.copyObject(
                    from: ObjectLocation(bucket: sourceURL.bucket, key: sourceKey, versionID: version), to: backupURL.bucket, key: backupKey,
                    storageClass: parameters.storageClass, encryption: parameters.serverSideEncryption, sourceETag: item.etag)
                try await verify(result.etag, expected: item.etag, size: item.size, sourceKey: sourceKey, version: version,
                                 backupKey: backupKey, into: &outcome)
                outcome.serverSide = 1
            } else {
                try await copyAsItIsNowRestarting(sourceKey: sourceKey, version: version, backupKey: backupKey, into: &outcome)
            }
        } catch let error as S3Error where error.code == "NoSuchKey" {
            // Only the source can be missing (a copy creates the backup's key): it was deleted after listing.
            return TaskOutcome(vanished: 1)
        } catch let error as S3Error where error.code == "PreconditionFailed" {
            // The source changed since it was listed: copy the object as it is now.
            try await copyAsItIsNowRestarting(sourceKey: sourceKey, version: version, backupKey: backupKey, into: &outcome)
        }
        outcome.copied = 1
        outcome.copiedBytes = item.size
        return outcome
    }

    /// How many times one object's copy is made as a whole before it counts as failed for this task attempt.
    static let wholeCopyAttempts = 3

    /// `copyAsItIsNow`, made again as a whole when it broke in a way a new copy can mend: a streamed body cut
    /// mid-way (its requests cannot be replayed, the bytes are gone), a transient error after the client's own
    /// retries, a copy that does not verify. S3's refusals (a missing or changed source, no permission) are not
    /// retried here.
    private func copyAsItIsNowRestarting(sourceKey: String, version: String?, backupKey: String,
                                         into outcome: inout TaskOutcome) async throws {
        var attempt = 1
        while true {
            do {
                return try await copyAsItIsNow(sourceKey: sourceKey, version: version, backupKey: backupKey, into: &outcome)
            } catch where attempt < Self.wholeCopyAttempts && Self.mendedByCopyingAgain(error) {
                try await Task.sleep(for: .milliseconds(Int.random(in: 100...300) << attempt))
                attempt += 1
            }
        }
    }

    /// Whether a new whole copy can mend `error`: anything but S3 refusing the object for good. InvalidPart on
    /// CompleteMultipartUpload means the part list sent was wrong (a part's ETag came back damaged), which a new
    /// copy mends too.
    static func mendedByCopyingAgain(_ error: any Error) -> Bool {
        if error is CancellationError { return false }
        guard let error = error as? S3Error else { return true }
        return error.status == nil || RetryClassifier.classify(error) != .fatal || error.code == "InvalidPart"
    }

    /// Copies the source's current version (or `version`), reading its metadata, tags and part layout first.
    private func copyAsItIsNow(sourceKey: String, version: String?, backupKey: String, into outcome: inout TaskOutcome) async throws {
        let head = try await source.headObject(bucket: sourceURL.bucket, key: sourceKey, versionID: version)
        let tags = try await source.getObjectTagging(bucket: sourceURL.bucket, key: sourceKey, versionID: version)
        let options = WriteOptions(metadata: head.metadata, storageClass: parameters.storageClass,
                                   encryption: parameters.serverSideEncryption, tags: tags)
        let etag: ETag
        if let parts = try await layout(of: head, key: sourceKey, version: version) {
            etag = try await copyParts(parts, head: head, sourceKey: sourceKey, version: version, backupKey: backupKey, options: options)
            outcome.multipart = 1
        } else if serverSide {
            etag = try await backup.copyObject(
                from: ObjectLocation(bucket: sourceURL.bucket, key: sourceKey, versionID: version), to: backupURL.bucket, key: backupKey,
                storageClass: parameters.storageClass, encryption: parameters.serverSideEncryption, sourceETag: head.etag).etag
        } else {
            etag = try await streamed(range: nil, size: head.size, etag: head.etag, sourceKey: sourceKey, version: version) { body in
                try await backup.putObject(bucket: backupURL.bucket, key: backupKey, body: body, options: options).etag
            }
        }
        if serverSide { outcome.serverSide = 1 } else { outcome.streamed = 1 }
        try await verify(etag, expected: head.etag, size: head.size, sourceKey: sourceKey, version: version, backupKey: backupKey,
                         into: &outcome)
    }

    /// The byte ranges of a multipart object's parts, each part's size read with HeadObject's `partNumber` (parts
    /// need not be equal); nil for a single-part object.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html#API_HeadObject_RequestSyntax
    private func layout(of head: ObjectInfo, key: String, version: String?) async throws -> [ClosedRange<Int64>]? {
        guard let count = head.etag.parts, head.size > 0 else { return nil }
        let sizes = LockedBox([Int64](repeating: 0, count: count))
        try await forEachConcurrently(Array(1...count), width: 8) { number in
            let size = try await source.headObject(bucket: sourceURL.bucket, key: key, versionID: version, partNumber: number).size
            sizes.mutate { $0[number - 1] = size }
        }
        guard sizes.value.reduce(0, +) == head.size, !sizes.value.contains(0) else {
            throw S3Error(.invalidResponse, "the parts' sizes do not add up to the object's \(head.size) bytes",
                          operation: "HeadObject", bucket: sourceURL.bucket, key: key)
        }
        var offset: Int64 = 0
        return sizes.value.map { size in
            defer { offset += size }
            return offset...(offset + size - 1)
        }
    }

    /// A multipart copy with the given part ranges; aborted on any failure so no parts linger.
    private func copyParts(_ ranges: [ClosedRange<Int64>], head: ObjectInfo, sourceKey: String, version: String?,
                           backupKey: String, options: WriteOptions) async throws -> ETag {
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
            return try await backup.completeMultipartUpload(bucket: backupURL.bucket, key: backupKey, uploadID: upload,
                                                            parts: parts.value).etag
        } catch {
            try? await backup.abortMultipartUpload(bucket: backupURL.bucket, key: backupKey, uploadID: upload)
            throw error
        }
    }

    /// Streams `range` (or all) of the source into `upload` through a pipe: constant memory, both at once.
    private func streamed<T: Sendable>(range: ClosedRange<Int64>?, size: Int64, etag: ETag, sourceKey: String, version: String?,
                                       upload: @escaping @Sendable (PipeSource) async throws -> T) async throws -> T {
        let pipe = StreamPipe(capacity: 2 << 20)
        async let download: Void = {
            do {
                _ = try await source.getObject(bucket: sourceURL.bucket, key: sourceKey, versionID: version, range: range, ifMatch: etag,
                                               to: PipeSink(pipe: pipe))
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

    /// A copy is verified by equal ETags; where ETags are not comparable (SSE-KMS makes them random), by size.
    private func verify(_ etag: ETag, expected: ETag, size: Int64, sourceKey: String, version: String?, backupKey: String,
                        into outcome: inout TaskOutcome) async throws {
        if etag == expected {
            outcome.verifiedByETag = 1
            return
        }
        if parameters.encryption == "aws:kms" {
            let copied = try await backup.headObject(bucket: backupURL.bucket, key: backupKey)
            if copied.size == size {
                outcome.verifiedBySize = 1
                return
            }
        }
        // The source may have changed while it was copied: then the copy must equal what the source is now.
        let now = try await source.headObject(bucket: sourceURL.bucket, key: sourceKey, versionID: version)
        if now.etag == etag {
            outcome.verifiedByETag = 1
            return
        }
        throw S3Error(.invalidResponse, "the copy's ETag \(etag) does not match the source's \(expected)",
                      operation: "verify", bucket: backupURL.bucket, key: backupKey)
    }
}
