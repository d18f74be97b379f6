/// What the backup's planner, copier, worker, drill, restore and setup ask of an object store: the S3 calls they
/// make, with S3Client's signatures. `S3Client` is the store of the product; tests use an in-memory one. A store
/// answers as S3 does and fails with the `S3Error`s S3Client would surface (code, status, operation, bucket, key),
/// so the rules built on top decide the same way whichever store they run on.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
public protocol ObjectStore: Sendable {
    /// Where the store is reached: two locations on different endpoints never overlap.
    var endpoint: Endpoint { get }

    /// The region `bucket` lives in (the configured one for nil): where its requests and storage are billed.
    func region(of bucket: String?) async throws -> String

    // MARK: Listing (`listObjects` and `listObjectVersions` page through these)

    /// One ListObjectsV2 page: at most `maxKeys` entries after `startAfter` (first page) or `continuationToken`.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
    func listObjectsPage(bucket: String, prefix: String, delimiter: String?, startAfter: String?,
                         continuationToken: String?, maxKeys: Int) async throws -> ObjectListing

    /// One ListObjectVersions page: at most `maxKeys` entries after `keyMarker` (and its `versionIDMarker`).
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
    func listObjectVersionsPage(bucket: String, prefix: String, delimiter: String?, keyMarker: String?,
                                versionIDMarker: String?, maxKeys: Int) async throws -> VersionListing

    // MARK: Objects

    /// HeadObject: size, ETag, metadata of a key, a version, or (with `partNumber`) one part.
    func headObject(bucket: String, key: String, versionID: String?, partNumber: Int?) async throws -> ObjectInfo

    /// GetObject: streams the body (or `range`, inclusive bytes) into `sink`; refused (412) unless the ETag is `ifMatch`.
    @discardableResult
    func getObject(bucket: String, key: String, versionID: String?, range: ClosedRange<Int64>?, ifMatch: ETag?,
                   to sink: any BodySink) async throws -> ObjectInfo

    /// PutObject: uploads `body` with `options`; with `checksum`, refused (`BadDigest`) unless the body matches it.
    @discardableResult
    func putObject(bucket: String, key: String, body: any BodySource, options: WriteOptions, checksum: Checksum?) async throws -> WriteResult

    /// DeleteObject: a delete marker (versioned bucket), the object (unversioned), or with `versionID` that version;
    /// returns the version id of the delete marker it placed, if it placed one.
    @discardableResult
    func deleteObject(bucket: String, key: String, versionID: String?) async throws -> String?

    /// DeleteObjects: up to 1,000 keys or versions; per-key failures come back in the result.
    func deleteObjects(bucket: String, _ objects: [ObjectVersionRef]) async throws -> DeleteResult

    /// CopyObject: a server-side copy of `source`, refused (412) unless its ETag is `sourceETag`.
    @discardableResult
    func copyObject(from source: ObjectLocation, to bucket: String, key: String, metadata: S3Client.Directive<ObjectMetadata>,
                    tags: S3Client.Directive<[Tag]>, storageClass: String?, encryption: ServerSideEncryption?,
                    retention: ObjectRetention?, sourceETag: ETag?) async throws -> WriteResult

    /// The sizes of a multipart object's parts (GetObjectAttributes), or nil when the store cannot tell.
    func partSizes(bucket: String, key: String, versionID: String?) async throws -> [Int64]?

    // MARK: Multipart uploads

    /// CreateMultipartUpload: the new upload's id.
    func createMultipartUpload(bucket: String, key: String, options: WriteOptions) async throws -> String

    /// UploadPart: part `number` (1…10,000) from `body`.
    func uploadPart(bucket: String, key: String, uploadID: String, number: Int, body: any BodySource) async throws -> CompletedPart

    /// UploadPartCopy: `range` of `source` as part `number`, refused (412) unless the source's ETag is `sourceETag`.
    func uploadPartCopy(bucket: String, key: String, uploadID: String, number: Int, source: ObjectLocation,
                        range: ClosedRange<Int64>, sourceETag: ETag?) async throws -> CompletedPart

    /// CompleteMultipartUpload: assembles `parts` into the object.
    @discardableResult
    func completeMultipartUpload(bucket: String, key: String, uploadID: String, parts: [CompletedPart]) async throws -> WriteResult

    /// AbortMultipartUpload: discards the upload and its parts.
    func abortMultipartUpload(bucket: String, key: String, uploadID: String) async throws

    // MARK: Tags

    /// GetObjectTagging: the tags of a key (or version), by key bytes.
    func getObjectTagging(bucket: String, key: String, versionID: String?) async throws -> [Tag]

    /// PutObjectTagging: replaces the tags of a key (or version).
    func putObjectTagging(bucket: String, key: String, versionID: String?, tags: [Tag]) async throws

    // MARK: Archives

    /// RestoreObject: retrieves an archived key (or version) at `tier`, kept `days` days (nil: Intelligent-Tiering).
    func restoreObject(bucket: String, key: String, versionID: String?, tier: RetrievalTier, days: Int?) async throws
        -> RetrievalRequest

    // MARK: Buckets (setup)

    /// GetBucketVersioning.
    func getBucketVersioning(_ bucket: String) async throws -> VersioningStatus

    /// PutBucketVersioning: enables (or suspends) versioning.
    func putBucketVersioning(_ bucket: String, enabled: Bool) async throws

    /// GetBucketLifecycleConfiguration: the rules as S3's XML document, or nil when the bucket has none.
    func getBucketLifecycle(_ bucket: String) async throws -> XMLTree?

    /// PutBucketLifecycleConfiguration: replaces all rules with `xml`.
    func putBucketLifecycle(_ bucket: String, xml: String) async throws

    /// GetBucketTagging: the bucket's tags (none when it has no tag set).
    func getBucketTagging(_ bucket: String) async throws -> [Tag]

    /// PutBucketTagging: replaces the bucket's tags.
    func putBucketTagging(_ bucket: String, tags: [Tag]) async throws

    // MARK: Object Lock

    /// GetObjectLockConfiguration (disabled for a bucket that never had it).
    func getObjectLockConfiguration(_ bucket: String) async throws -> ObjectLockConfiguration

    /// PutObjectLockConfiguration: Object Lock enabled, no default retention.
    func enableObjectLock(_ bucket: String) async throws

    /// PutObjectRetention: one version's retention, which S3 lets only grow.
    func putObjectRetention(bucket: String, key: String, versionID: String?, retention: ObjectRetention) async throws
}

/// The calls with S3Client's default arguments, for code that holds `any ObjectStore`.
extension ObjectStore {
    /// HeadObject of the current version, or of `versionID`.
    public func headObject(bucket: String, key: String, versionID: String? = nil) async throws -> ObjectInfo {
        try await headObject(bucket: bucket, key: key, versionID: versionID, partNumber: nil)
    }

    /// GetObject of the whole current version (or `versionID`), unconditionally.
    @discardableResult
    public func getObject(bucket: String, key: String, versionID: String? = nil, to sink: any BodySink) async throws -> ObjectInfo {
        try await getObject(bucket: bucket, key: key, versionID: versionID, range: nil, ifMatch: nil, to: sink)
    }

    /// PutObject with `options` and no checksum of s3backup's (S3 computes its default one).
    @discardableResult
    public func putObject(bucket: String, key: String, body: any BodySource, options: WriteOptions) async throws -> WriteResult {
        try await putObject(bucket: bucket, key: key, body: body, options: options, checksum: nil)
    }

    /// PutObject with S3's defaults.
    @discardableResult
    public func putObject(bucket: String, key: String, body: any BodySource) async throws -> WriteResult {
        try await putObject(bucket: bucket, key: key, body: body, options: WriteOptions())
    }

    /// DeleteObject of the current version (a delete marker in a versioned bucket: its version id is returned).
    @discardableResult
    public func deleteObject(bucket: String, key: String) async throws -> String? {
        try await deleteObject(bucket: bucket, key: key, versionID: nil)
    }

    /// CopyObject keeping the source's metadata and tags unless told otherwise.
    @discardableResult
    public func copyObject(from source: ObjectLocation, to bucket: String, key: String,
                           metadata: S3Client.Directive<ObjectMetadata> = .copy, tags: S3Client.Directive<[Tag]> = .copy,
                           storageClass: String? = nil, encryption: ServerSideEncryption? = nil) async throws -> WriteResult {
        try await copyObject(from: source, to: bucket, key: key, metadata: metadata, tags: tags, storageClass: storageClass,
                             encryption: encryption, retention: nil, sourceETag: nil)
    }

    /// CopyObject with a source precondition, keeping the source's metadata and tags.
    @discardableResult
    public func copyObject(from source: ObjectLocation, to bucket: String, key: String, storageClass: String?,
                           encryption: ServerSideEncryption?, retention: ObjectRetention? = nil, sourceETag: ETag?) async throws -> WriteResult {
        try await copyObject(from: source, to: bucket, key: key, metadata: .copy, tags: .copy, storageClass: storageClass,
                             encryption: encryption, retention: retention, sourceETag: sourceETag)
    }

    /// CreateMultipartUpload with S3's defaults.
    public func createMultipartUpload(bucket: String, key: String) async throws -> String {
        try await createMultipartUpload(bucket: bucket, key: key, options: WriteOptions())
    }

    /// The tags of the current version.
    public func getObjectTagging(bucket: String, key: String) async throws -> [Tag] {
        try await getObjectTagging(bucket: bucket, key: key, versionID: nil)
    }

    /// The part sizes of the current version.
    public func partSizes(bucket: String, key: String) async throws -> [Int64]? {
        try await partSizes(bucket: bucket, key: key, versionID: nil)
    }
}
