import SigV4

/// How S3 encrypts an object at rest.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/serv-side-encryption.html
public enum ServerSideEncryption: Sendable, Equatable {
    /// SSE-S3 (`AES256`).
    case s3
    /// SSE-KMS with a key id or ARN, or the account's default key when nil.
    case kms(keyID: String?)

    /// `x-amz-server-side-encryption`'s value: what S3 answers a write with when it encrypted as asked.
    public var algorithm: String {
        switch self {
        case .s3: "AES256"
        case .kms: "aws:kms"
        }
    }

    var headers: [(String, String)] {
        var headers = [("x-amz-server-side-encryption", algorithm)]
        if case .kms(let keyID?) = self { headers.append(("x-amz-server-side-encryption-aws-kms-key-id", keyID)) }
        return headers
    }
}

/// One object tag.
public struct Tag: Sendable, Equatable {
    /// The tag's key.
    public var key: String
    /// The tag's value.
    public var value: String
    /// A tag.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// Tags in the `x-amz-tagging` header's URL-query form.
    static func header(_ tags: [Tag]) -> String {
        tags.map { "\(URIEncoding.queryComponent($0.key))=\(URIEncoding.queryComponent($0.value))" }.joined(separator: "&")
    }
}

/// What a new object (PutObject, CreateMultipartUpload, CopyObject with REPLACE) is written with.
public struct WriteOptions: Sendable, Equatable {
    /// Content headers and user metadata.
    public var metadata: ObjectMetadata
    /// The storage class, e.g. `STANDARD_IA`; nil means S3's default (STANDARD).
    public var storageClass: String?
    /// Encryption at rest; nil leaves it to the bucket's default.
    public var encryption: ServerSideEncryption?
    /// Tags; nil sends none.
    public var tags: [Tag]?
    /// The Object Lock retention the new version gets; nil for none (or the bucket's default). S3 wants the body's
    /// Content-MD5 or a checksum on a PutObject that sets one.
    public var retention: ObjectRetention?

    /// Options from their parts.
    public init(metadata: ObjectMetadata = ObjectMetadata(), storageClass: String? = nil,
                encryption: ServerSideEncryption? = nil, tags: [Tag]? = nil, retention: ObjectRetention? = nil) {
        self.metadata = metadata
        self.storageClass = storageClass
        self.encryption = encryption
        self.tags = tags
        self.retention = retention
    }

    /// Storage class, encryption, retention and tags (metadata is sent separately: CopyObject may keep the source's).
    var settingHeaders: [(String, String)] {
        var out: [(String, String)] = []
        if let storageClass { out.append(("x-amz-storage-class", storageClass)) }
        if let encryption { out += encryption.headers }
        if let retention { out += retention.headers }
        // No tags is no header: an empty `x-amz-tagging` is refused or mishandled by some providers.
        if let tags, !tags.isEmpty { out.append(("x-amz-tagging", Tag.header(tags))) }
        return out
    }
}

/// What S3 says after writing an object.
public struct WriteResult: Sendable, Equatable {
    /// The new object's ETag.
    public var etag: ETag
    /// The new version's id in a versioned bucket.
    public var versionID: String?
    /// How S3 says it encrypted the object (`x-amz-server-side-encryption`); nil when the answer says nothing.
    public var encryption: String?
    /// The checksum S3 kept for the new object, where the answer tells it (a copy keeps the source's).
    public var checksum: Checksum?

    /// A result from its parts.
    public init(etag: ETag, versionID: String? = nil, encryption: String? = nil, checksum: Checksum? = nil) {
        self.etag = etag
        self.versionID = versionID
        self.encryption = encryption
        self.checksum = checksum
    }

    /// The version to read the written object back by: nil for none or the null version (an unversioned or
    /// suspended bucket), whose object is the current one; some servers (moto) refuse `versionId=null`.
    public var readableVersion: String? { versionID == "null" ? nil : versionID }
}

/// A key, and optionally one version of it.
public struct ObjectVersionRef: Sendable, Equatable, Hashable {
    /// The key.
    public var key: String
    /// The version; nil means the current one.
    public var versionID: String?
    /// A reference.
    public init(key: String, versionID: String? = nil) {
        self.key = key
        self.versionID = versionID
    }
}
