import Foundation
import SigV4
import S3

/// One version (or delete marker) of a key as the in-memory store holds it.
struct StoredVersion: Sendable {
    /// The key, exactly as written.
    var key: String
    /// The version id; `null` in a bucket that never had versioning (or had it suspended).
    var versionID: String
    /// Whether this is a delete marker.
    var isDeleteMarker = false
    /// The body.
    var body: [UInt8] = []
    /// The ETag S3 would give this version.
    var etag: ETag = .none
    /// For a multipart object, its parts' sizes in order; nil for a single-part one.
    var partSizes: [Int64]?
    /// Content headers and user metadata.
    var metadata = ObjectMetadata()
    /// Tags.
    var tags: [Tag] = []
    /// The storage class.
    var storageClass = "STANDARD"
    /// How S3 encrypted it (`AES256`, `aws:kms`).
    var encryption: String?
    /// The KMS key of an SSE-KMS object.
    var kmsKeyID: String?
    /// When it was written.
    var lastModified: Date
    /// Its additional checksum (algorithm and base64 value), when it was written with one.
    var checksum: (algorithm: ChecksumAlgorithm, value: String)?
    /// Whether an archived version has been restored (readable and copyable).
    var restored = false
    /// Whether it is encrypted with a customer-provided key (SSE-C): nothing reads or copies it without that key.
    var customerKey = false
    /// The Intelligent-Tiering archive tier it is in (`ARCHIVE_ACCESS`, `DEEP_ARCHIVE_ACCESS`), until restored.
    var archiveStatus: String?
    /// RestoreObject requests S3 took for it (a retrieval under way refuses another).
    var retrievalRequests = 0
    /// HeadObjects left that answer `ongoing-request="true"` before the retrieval asked is done.
    var retrievalHeadsLeft = 0
    /// Its Object Lock retention, if any.
    var retention: ObjectRetention?

    /// Its checksum as S3 tells it.
    var told: Checksum? { checksum.map { Checksum(algorithm: $0.algorithm.rawValue, value: $0.value) } }

    /// Whether GetObject and copies must refuse it until it is restored.
    var isArchived: Bool { (StorageClass.archived.contains(storageClass) || archiveStatus != nil) && !restored }

    /// What `x-amz-restore` says of it.
    var retrieval: RetrievalState? {
        if restored, StorageClass.archived.contains(storageClass) || retrievalRequests > 0 { return .done(expiry: nil) }
        return retrievalRequests > 0 ? .ongoing : nil
    }
}

/// One bucket of the in-memory store.
struct StoredBucket: Sendable {
    /// Its versioning state.
    var versioning: VersioningStatus
    /// The region it lives in.
    var region = "us-east-1"
    /// Versions by key bytes (keys are opaque bytes: NFC and NFD spellings are two keys), newest first.
    var keys: [[UInt8]: [StoredVersion]] = [:]
    /// The lifecycle configuration document, as put.
    var lifecycle: String?
    /// The encryption every write gets unless it asks for another (a bucket's default encryption).
    var defaultEncryption: ServerSideEncryption?
    /// Whether Object Lock is enabled.
    var objectLock = false
    /// The bucket's tags.
    var tags: [Tag] = []

    /// The key bytes in S3's order (ascending UTF-8 bytes).
    var sortedKeys: [[UInt8]] { keys.keys.sorted { $0.lexicographicallyPrecedes($1) } }
}

/// A multipart upload under way.
struct StoredUpload: Sendable {
    let bucket: String
    let key: String
    let options: WriteOptions
    /// Parts by number: their bytes and ETag.
    var parts: [Int: (bytes: [UInt8], etag: ETag)] = [:]
}

/// An additional checksum S3 can keep with an object (`x-amz-checksum-*`).
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
public enum ChecksumAlgorithm: String, Sendable, CaseIterable {
    /// CRC-64/NVME, S3's default, base64 of its 8 big-endian bytes.
    case crc64nvme = "CRC64NVME"
    /// CRC-32 (IEEE), base64 of its 4 big-endian bytes.
    case crc32 = "CRC32"
    /// SHA-256, base64 of its 32 bytes.
    case sha256 = "SHA256"

    /// The header S3 returns the value in.
    public var header: String { "x-amz-checksum-\(rawValue.lowercased())" }

    /// The base64 checksum of `bytes`.
    public func value(of bytes: [UInt8]) -> String {
        switch self {
        case .crc64nvme:
            return Checksum.crc64nvme(bytes).value
        case .crc32:
            let crc = CRC32.checksum(bytes)
            return Data([UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]).base64EncodedString()
        case .sha256:
            return Data(Digest.sha256(bytes)).base64EncodedString()
        }
    }
}
