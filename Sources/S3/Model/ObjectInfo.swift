/// What HeadObject or GetObject says about an object.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
public struct ObjectInfo: Sendable, Equatable {
    /// Content-Length: the whole object, or one part when asked with `partNumber`.
    public var size: Int64
    /// The ETag.
    public var etag: ETag
    /// Last-Modified, as S3's HTTP date.
    public var lastModified: String?
    /// The version id in a versioned bucket.
    public var versionID: String?
    /// The storage class; S3 omits it for STANDARD.
    public var storageClass: String
    /// Content headers and user metadata.
    public var metadata: ObjectMetadata
    /// Number of parts of a multipart object (`x-amz-mp-parts-count`, sent when asked with `partNumber`).
    public var partsCount: Int?
    /// `AES256`, `aws:kms`, …
    public var serverSideEncryption: String?
    /// The KMS key of an SSE-KMS object.
    public var kmsKeyID: String?
    /// The algorithm of an SSE-C object's customer key (`x-amz-server-side-encryption-customer-algorithm`); nil otherwise.
    public var customerKeyAlgorithm: String?
    /// Number of tags (`x-amz-tagging-count`); 0 when S3 does not say.
    public var tagCount: Int
    /// The retrieval of an archived object (`x-amz-restore`); nil when none was asked.
    public var retrieval: RetrievalState?
    /// The Intelligent-Tiering archive tier it is in (`x-amz-archive-status`: `ARCHIVE_ACCESS`,
    /// `DEEP_ARCHIVE_ACCESS`); nil when it is in none.
    public var archiveStatus: String?
    /// The additional checksum S3 keeps with it; told only when asked with checksum mode, and not for a range.
    public var checksum: Checksum?
    /// Its Object Lock retention; told only to a caller allowed `s3:GetObjectRetention`, nil otherwise or for none.
    public var retention: ObjectRetention?

    /// What a store says of an object, from its parts (S3Client reads them from the answer's headers).
    public init(size: Int64, etag: ETag, lastModified: String? = nil, versionID: String? = nil, storageClass: String = "STANDARD",
                metadata: ObjectMetadata = ObjectMetadata(), partsCount: Int? = nil, serverSideEncryption: String? = nil,
                kmsKeyID: String? = nil, tagCount: Int = 0, retrieval: RetrievalState? = nil, archiveStatus: String? = nil,
                checksum: Checksum? = nil, retention: ObjectRetention? = nil) {
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.versionID = versionID
        self.storageClass = storageClass
        self.metadata = metadata
        self.partsCount = partsCount
        self.serverSideEncryption = serverSideEncryption
        self.kmsKeyID = kmsKeyID
        self.tagCount = tagCount
        self.retrieval = retrieval
        self.archiveStatus = archiveStatus
        self.checksum = checksum
        self.retention = retention
        customerKeyAlgorithm = nil
    }

    init(headers: [String: String]) {
        size = headers["content-length"].flatMap { Int64($0) } ?? 0
        etag = ETag(headers["etag"] ?? "")
        lastModified = headers["last-modified"]
        versionID = headers["x-amz-version-id"]
        storageClass = headers["x-amz-storage-class"] ?? "STANDARD"
        metadata = ObjectMetadata(headers: headers)
        partsCount = headers["x-amz-mp-parts-count"].flatMap { Int($0) }
        serverSideEncryption = headers["x-amz-server-side-encryption"]
        kmsKeyID = headers["x-amz-server-side-encryption-aws-kms-key-id"]
        customerKeyAlgorithm = headers["x-amz-server-side-encryption-customer-algorithm"]
        tagCount = headers["x-amz-tagging-count"].flatMap { Int($0) } ?? 0
        retrieval = headers["x-amz-restore"].flatMap(RetrievalState.init(header:))
        archiveStatus = headers["x-amz-archive-status"]
        checksum = Checksum(headers: headers)
        retention = ObjectRetention(headers: headers)
    }
}
