import Foundation
import S3
import SigV4

/// An object store in memory that answers as AWS S3 documents where the backup's rules depend on it: listings in
/// UTF-8 byte order and pages of at most 1,000, versions and delete markers, MD5 and multipart ETags, copy
/// preconditions, metadata and tag directives, and the `S3Error`s S3Client would surface. Switches play what moto
/// hides: encrypted objects whose ETag is not their MD5, archive storage classes that refuse reads until restored,
/// additional checksums. Its clock is logical: every write is one second after the one before.
public final class InMemoryObjectStore: ObjectStore, @unchecked Sendable {
    // @unchecked: `current` is only touched inside `withState`, under `lock`. (An NSLock, not Synchronization's
    // Mutex, whose futex ThreadSanitizer cannot see.)

    /// What S3 puts at most in one listing page. https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
    public static let maxPageSize = 1_000

    /// The endpoint the store claims to be: stores on one endpoint are one service (server-side copies between their
    /// buckets), so a planner checks their locations for overlap.
    public let endpoint: Endpoint
    /// The smallest part but the last that CompleteMultipartUpload accepts (S3: 5 MiB).
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html
    public let minimumPartSize: Int64

    struct State: Sendable {
        var buckets: [String: StoredBucket] = [:]
        /// HeadObjects that see a retrieval under way before it is done (0: done at once, as moto does).
        var retrievalHeads = 0
        /// PutObjects whose body arrives with its first byte flipped (damaged in flight).
        var damagedUploads = 0
        var uploads: [String: StoredUpload] = [:]
        var clock: Date
        var counter = 0
        var operations: [String] = []
    }

    private let lock = NSLock()
    private var current: State

    /// Runs `body` on the state under the lock: decide and change there, move bodies after it.
    func withState<R>(_ body: (inout State) throws -> R) rethrows -> R {
        try lock.withLock { try body(&current) }
    }

    /// An empty store at `endpoint`; its clock starts at `start`.
    public init(endpoint: String = "http://in-memory.invalid", minimumPartSize: Int64 = 5 << 20,
                start: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        // The URL is a constant of the caller's choosing; a malformed one is a mistake in the test.
        self.endpoint = try! Endpoint(url: endpoint, setting: "InMemoryObjectStore")
        self.minimumPartSize = minimumPartSize
        current = State(clock: start)
    }

    // MARK: Test controls

    /// Creates `bucket` with `versioning` (backups are versioned, so that is the default) in `region`.
    public func createBucket(_ bucket: String, versioning: VersioningStatus = .enabled, region: String = "us-east-1") {
        withState { $0.buckets[bucket] = StoredBucket(versioning: versioning, region: region) }
    }

    /// The bucket's region, as HeadBucket tells it (not recorded as an operation: S3Client asks once and remembers).
    public func region(of bucket: String?) async throws -> String {
        guard let bucket else { return "us-east-1" }
        return try withState { try $0.bucket(bucket, operation: "HeadBucket", endpoint: endpoint).region }
    }

    /// Gives `bucket` default encryption: writes that ask for none get `encryption`. With SSE-KMS their ETags are
    /// not their MD5. https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html
    public func setDefaultEncryption(_ bucket: String, _ encryption: ServerSideEncryption?) {
        withState { $0.buckets[bucket]?.defaultEncryption = encryption }
    }

    /// Writes `body` at `key` as a single-part PutObject would, with an additional `checksum` if given.
    @discardableResult
    public func put(_ bucket: String, _ key: String, _ body: [UInt8], options: WriteOptions = WriteOptions(),
                    checksum: ChecksumAlgorithm? = nil) throws -> WriteResult {
        try withState { state in
            var version = StoredVersion(key: key)
            version.body = body
            version.apply(options, bucketDefault: state.buckets[bucket]?.defaultEncryption)
            version.etag = version.encryption == "aws:kms" ? state.opaqueETag(parts: nil) : ETag(md5Of: body)
            version.checksum = checksum.map { ($0, $0.value(of: body)) }
            return try state.write(version, bucket: bucket, operation: "PutObject", endpoint: endpoint)
        }
    }

    /// Writes `parts` at `key` as a completed multipart upload would (ETag `md5-of-md5s-N`), with a full-object
    /// `checksum` if given (then GetObjectAttributes lists the parts, as S3 does only for such uploads).
    @discardableResult
    public func putMultipart(_ bucket: String, _ key: String, parts: [[UInt8]], options: WriteOptions = WriteOptions(),
                             checksum: ChecksumAlgorithm? = nil) throws -> WriteResult {
        precondition(!parts.isEmpty, "a multipart object has at least one part")
        return try withState { state in
            var version = StoredVersion(key: key)
            version.body = parts.flatMap { $0 }
            version.partSizes = parts.map { Int64($0.count) }
            version.apply(options, bucketDefault: state.buckets[bucket]?.defaultEncryption)
            version.etag = version.encryption == "aws:kms" ? state.opaqueETag(parts: parts.count)
                : InMemoryObjectStore.multipartETag(parts.map { Digest.md5($0) })
            version.checksum = checksum.map { ($0, $0.value(of: version.body)) }
            return try state.write(version, bucket: bucket, operation: "CompleteMultipartUpload", endpoint: endpoint)
        }
    }

    /// Damages the next `count` PutObject bodies in flight: each arrives with its first byte flipped, so a checksum sent
    /// with it no longer matches (400 BadDigest) and, without one, the object is stored damaged.
    public func damageUploads(_ count: Int) {
        withState { $0.damagedUploads = count }
    }

    /// Restores an archived version (RestoreObject, once S3 has finished): reads and copies of it work afterwards.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_RestoreObject.html
    public func restore(bucket: String, key: String, versionID: String? = nil) throws {
        try withState { state in
            try state.modify(bucket: bucket, key: key, versionID: versionID, operation: "RestoreObject", endpoint: endpoint) {
                $0.restored = true
            }
        }
    }

    /// The checksum HeadObject answers with `x-amz-checksum-mode: ENABLED`: header name and value, nil without one.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html#API_HeadObject_RequestSyntax
    public func checksum(bucket: String, key: String, versionID: String? = nil) throws -> (header: String, value: String)? {
        try withState { state in
            let version = try state.readable(bucket: bucket, key: key, versionID: versionID, operation: "HeadObject",
                                             head: true, endpoint: endpoint)
            return version.checksum.map { ($0.algorithm.header, $0.value) }
        }
    }

    /// The body of the current version (or `versionID`); nil when there is none.
    public func body(bucket: String, key: String, versionID: String? = nil) -> [UInt8]? {
        withState { state in
            try? state.readable(bucket: bucket, key: key, versionID: versionID, operation: "GetObject", head: false,
                                endpoint: endpoint).body
        }
    }

    /// Every version and delete marker of `key`, newest first: (version id, is delete marker, ETag).
    public func versions(bucket: String, key: String) -> [(versionID: String, isDeleteMarker: Bool, etag: ETag)] {
        withState { state in
            (state.buckets[bucket]?.keys[Array(key.utf8)] ?? []).map { ($0.versionID, $0.isDeleteMarker, $0.etag) }
        }
    }

    /// The S3 calls made so far, by operation name (`CopyObject`, `UploadPartCopy`, …), in order.
    public var operations: [String] { withState { $0.operations } }

    /// Multipart uploads neither completed nor aborted.
    public var openUploads: Int { withState { $0.uploads.count } }

    /// The time the next write is stamped with.
    public var now: Date { withState { $0.clock } }

    /// Moves the clock on to `moment`, later than `now`: the next write is stamped then.
    public func advanceClock(to moment: Date) {
        withState { state in
            precondition(moment >= state.clock, "the store's clock only moves on")
            state.clock = moment
        }
    }

    /// The multipart ETag S3 computes: the MD5 of the parts' binary MD5s, then `-N`.
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html#large-object-checksums
    public static func multipartETag(_ partMD5s: [[UInt8]]) -> ETag {
        ETag(Digest.md5(partMD5s.flatMap { $0 }).hex + "-\(partMD5s.count)")
    }

    // MARK: Objects

    /// HeadObject; a missing key is `NoSuchKey` (a HEAD answer has no body, so S3Client names it from the 404).
    public func headObject(bucket: String, key: String, versionID: String?, partNumber: Int?) async throws -> ObjectInfo {
        try withState { state in
            state.operations.append("HeadObject")
            let version = try state.readable(bucket: bucket, key: key, versionID: versionID, operation: "HeadObject",
                                             head: true, endpoint: endpoint)
            if version.customerKey {
                throw state.customerKeyRefusal(operation: "HeadObject", bucket: bucket, key: key, head: true, endpoint: endpoint)
            }
            var info = version.info(versioned: state.buckets[bucket]!.versioning != .unversioned)
            if info.retrieval == .ongoing {
                try state.modify(bucket: bucket, key: key, versionID: versionID, operation: "HeadObject", endpoint: endpoint) {
                    $0.retrievalHeadsLeft -= 1
                    if $0.retrievalHeadsLeft <= 0 { $0.restored = true }
                }
            }
            guard let partNumber else { return info }
            // A part of a multipart object: its size, and how many there are; a single-part object is its own part 1.
            let sizes = version.partSizes ?? [Int64(version.body.count)]
            guard (1...sizes.count).contains(partNumber) else {
                throw state.error(416, "HTTP416", "S3 answered HTTP 416", operation: "HeadObject", bucket: bucket, key: key,
                                  endpoint: endpoint)
            }
            info.size = sizes[partNumber - 1]
            info.partsCount = version.partSizes?.count
            return info
        }
    }

    /// GetObject; an archived object not restored is refused with 403 InvalidObjectState.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_ResponseSyntax
    @discardableResult
    public func getObject(bucket: String, key: String, versionID: String?, range: ClosedRange<Int64>?, ifMatch: ETag?,
                          to sink: any BodySink) async throws -> ObjectInfo {
        let (info, bytes) = try withState { state in
            state.operations.append("GetObject")
            let version = try state.readable(bucket: bucket, key: key, versionID: versionID, operation: "GetObject",
                                             head: false, endpoint: endpoint)
            if version.customerKey {
                throw state.customerKeyRefusal(operation: "GetObject", bucket: bucket, key: key, head: false, endpoint: endpoint)
            }
            if version.isArchived {
                throw state.error(403, "InvalidObjectState", "The operation is not valid for the object's storage class",
                                  operation: "GetObject", bucket: bucket, key: key, endpoint: endpoint)
            }
            if let ifMatch, ifMatch != version.etag {
                throw state.error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                                  operation: "GetObject", bucket: bucket, key: key, endpoint: endpoint)
            }
            var info = version.info(versioned: state.buckets[bucket]!.versioning != .unversioned)
            let slice = try state.slice(version.body, range, operation: "GetObject", bucket: bucket, key: key, endpoint: endpoint)
            info.size = Int64(slice.count)
            // A range is told without the object's checksum, as S3 does.
            if range != nil { info.checksum = nil }
            return (info, Array(slice))
        }
        try await BodyTransfer.write(bytes, to: sink)
        return info
    }

    /// PutObject. A `checksum` the body does not match is refused with 400 BadDigest; without one the object gets
    /// S3's default, CRC64NVME. https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
    @discardableResult
    public func putObject(bucket: String, key: String, body: any BodySource, options: WriteOptions,
                          checksum: Checksum?) async throws -> WriteResult {
        withState { $0.operations.append("PutObject") }
        var bytes = try await read(body, operation: "PutObject", bucket: bucket, key: key)
        let damaged = withState { state in
            defer { state.damagedUploads = max(0, state.damagedUploads - 1) }
            return state.damagedUploads > 0
        }
        if damaged, !bytes.isEmpty { bytes[0] ^= 0xFF }
        let algorithm = checksum.map { ChecksumAlgorithm(rawValue: $0.algorithm) } ?? .crc64nvme
        guard let algorithm else { preconditionFailure("the in-memory store computes CRC64NVME, CRC32 and SHA256") }
        if let checksum, algorithm.value(of: bytes) != checksum.value {
            throw withState { state in
                state.error(400, "BadDigest", "The \(checksum.algorithm) you specified did not match the calculated checksum.",
                            operation: "PutObject", bucket: bucket, key: key, endpoint: endpoint)
            }
        }
        return try put(bucket, key, bytes, options: options, checksum: algorithm)
    }

    /// DeleteObject: a delete marker in a versioned bucket, the object in an unversioned one, one version with
    /// `versionID`; a missing key succeeds. https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html
    @discardableResult
    public func deleteObject(bucket: String, key: String, versionID: String?) async throws -> String? {
        try withState { state in
            state.operations.append("DeleteObject")
            return try state.delete(bucket: bucket, key: key, versionID: versionID, operation: "DeleteObject", endpoint: endpoint)
        }
    }

    /// DeleteObjects: each key as DeleteObject would, reported key by key.
    public func deleteObjects(bucket: String, _ objects: [ObjectVersionRef]) async throws -> DeleteResult {
        precondition((1...S3Client.deleteBatchLimit).contains(objects.count), "DeleteObjects takes 1 to 1,000 keys")
        return try withState { state in
            state.operations.append("DeleteObjects")
            var result = DeleteResult(deleted: [], errors: [])
            for object in objects {
                do {
                    let marker = try state.delete(bucket: bucket, key: object.key, versionID: object.versionID,
                                                  operation: "DeleteObjects", endpoint: endpoint)
                    result.deleted.append(object)
                    if let marker {
                        result.markers.append(ObjectVersionRef(key: object.key, versionID: marker))
                    }
                } catch let error as S3Error where error.code == "AccessDenied" {
                    result.errors.append(DeleteResult.Failure(object: object, code: "AccessDenied", message: error.message))
                }
            }
            return result
        }
    }

    /// GetObjectAttributes' parts: S3 lists them only for multipart objects uploaded with an additional checksum.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
    public func partSizes(bucket: String, key: String, versionID: String?) async throws -> [Int64]? {
        try withState { state in
            state.operations.append("GetObjectAttributes")
            let version = try state.readable(bucket: bucket, key: key, versionID: versionID, operation: "GetObjectAttributes",
                                             head: false, endpoint: endpoint)
            return version.checksum == nil ? nil : version.partSizes
        }
    }

    // MARK: Tags

    /// GetObjectTagging, by key bytes.
    public func getObjectTagging(bucket: String, key: String, versionID: String?) async throws -> [Tag] {
        try withState { state in
            state.operations.append("GetObjectTagging")
            let version = try state.readable(bucket: bucket, key: key, versionID: versionID, operation: "GetObjectTagging",
                                             head: false, endpoint: endpoint)
            return version.tags.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        }
    }

    /// PutObjectTagging; S3 takes at most 10 tags an object.
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
    public func putObjectTagging(bucket: String, key: String, versionID: String?, tags: [Tag]) async throws {
        try withState { state in
            state.operations.append("PutObjectTagging")
            guard tags.count <= 10 else {
                throw state.error(400, "BadRequest", "Object tags cannot be greater than 10", operation: "PutObjectTagging",
                                  bucket: bucket, key: key, endpoint: endpoint)
            }
            try state.modify(bucket: bucket, key: key, versionID: versionID, operation: "PutObjectTagging", endpoint: endpoint) {
                $0.tags = tags
            }
        }
    }

    // MARK: Buckets

    /// GetBucketVersioning.
    public func getBucketVersioning(_ bucket: String) async throws -> VersioningStatus {
        try withState { state in
            state.operations.append("GetBucketVersioning")
            return try state.bucket(bucket, operation: "GetBucketVersioning", endpoint: endpoint).versioning
        }
    }

    /// PutBucketVersioning: enabled, or suspended (never back to unversioned, as S3).
    public func putBucketVersioning(_ bucket: String, enabled: Bool) async throws {
        try withState { state in
            state.operations.append("PutBucketVersioning")
            _ = try state.bucket(bucket, operation: "PutBucketVersioning", endpoint: endpoint)
            state.buckets[bucket]!.versioning = enabled ? .enabled : .suspended
        }
    }

    /// GetBucketLifecycleConfiguration: nil when none was put.
    public func getBucketLifecycle(_ bucket: String) async throws -> XMLTree? {
        let xml = try withState { state in
            state.operations.append("GetBucketLifecycleConfiguration")
            return try state.bucket(bucket, operation: "GetBucketLifecycleConfiguration", endpoint: endpoint).lifecycle
        }
        return try xml.map { try XMLTree.parse(Array($0.utf8)) }
    }

    /// PutBucketLifecycleConfiguration: the document must parse.
    public func putBucketLifecycle(_ bucket: String, xml: String) async throws {
        let parsed = (try? XMLTree.parse(Array(xml.utf8))) != nil
        try withState { state in
            state.operations.append("PutBucketLifecycleConfiguration")
            _ = try state.bucket(bucket, operation: "PutBucketLifecycleConfiguration", endpoint: endpoint)
            guard parsed else {
                throw state.error(400, "MalformedXML", "The XML you provided was not well-formed",
                                  operation: "PutBucketLifecycleConfiguration", bucket: bucket, key: nil, endpoint: endpoint)
            }
            state.buckets[bucket]!.lifecycle = xml
        }
    }

    /// `body`'s bytes, refused as S3 refuses a body shorter or longer than its Content-Length.
    func read(_ body: any BodySource, operation: String, bucket: String, key: String) async throws -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try await BodyTransfer.read(body)
        } catch {
            throw S3Error(.local, "reading the body failed: \(error)", operation: operation, bucket: bucket, key: key)
        }
        guard Int64(bytes.count) == body.count else {
            throw withState {
                $0.error(400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header",
                         operation: operation, bucket: bucket, key: key, endpoint: endpoint)
            }
        }
        return bytes
    }
}
