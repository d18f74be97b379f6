import Foundation
import S3
import SigV4

/// One object to copy: its key relative to the run's prefixes, and what the listing said of it.
public struct CopyItem: Codable, Sendable, Equatable {
    /// Key relative to the source (and backup) prefix.
    public var key: String
    /// Size at listing time.
    public var size: Int64
    /// ETag at listing time.
    public var etag: ETag
    /// The source version to copy (a point-in-time restore); nil for the current one.
    public var versionID: String?
    /// When the source wrote it, as the listing said (S3's ISO 8601 form), where the planner passes it on (a
    /// verification tells differences written during the run from the others); absent from task payloads.
    public var lastModified: String?
    /// The listing's storage class where the object may be archived (GLACIER, DEEP_ARCHIVE, INTELLIGENT_TIERING);
    /// nil for every other class.
    public var storageClass: String?
    /// The backup's ETag where it lists at the same size with another ETag and no catalog row explains the pair:
    /// the worker first compares the two objects' full-object checksums and adopts an equal pair instead of copying.
    public var backupETag: ETag?
}

/// The payload of a `copy` task.
public struct CopyBatch: Codable, Sendable, Equatable {
    /// Objects of one unit, in key order.
    public var objects: [CopyItem]
    /// For a task parked while S3 retrieves some of its objects: what its earlier claims did, and how many times
    /// its objects were checked (the wait before the next check grows with it). Nil for a task never parked.
    public var done: TaskOutcome?
    /// Checks of the objects it waits for so far.
    public var checks: Int?

    /// A batch of `objects`.
    public init(objects: [CopyItem], done: TaskOutcome? = nil, checks: Int? = nil) {
        self.objects = objects
        self.done = done
        self.checks = checks
    }
}

/// The payload of a `delete` task: keys relative to the backup prefix, at most 1,000.
public struct DeleteBatch: Codable, Sendable, Equatable {
    /// The keys.
    public var keys: [String]
}

/// The payload of an `extend` task: backup versions whose Object Lock comes due, as the catalog has them, and current
/// versions equal to the primary's that the catalog has no row of (copied before it, or by another tool), to lock and
/// record.
public struct LockBatch: Codable, Sendable, Equatable {
    /// One version.
    public struct Version: Codable, Sendable, Equatable {
        /// Key relative to the backup prefix.
        public var key: String
        /// The backup version (nil: the current one, or a bucket that gave none).
        public var backupVersion: String?
        /// For a current version without a catalog row: what both sides listed, for the row the lock is recorded in.
        public var adopt: Adoption?
    }

    /// A key both sides listed with the same size and ETag, and no catalog row.
    public struct Adoption: Codable, Sendable, Equatable {
        /// The size both listed.
        public var size: Int64
        /// The ETag values the primary and the backup listed.
        public var sourceETag: String, backupETag: String
    }
    /// The versions, in key order.
    public var versions: [Version]
}

/// What a task did, stored as its result for the run's summary.
public struct TaskOutcome: Codable, Sendable, Equatable {
    /// Objects copied.
    public var copied = 0
    /// Bytes copied.
    public var copiedBytes: Int64 = 0
    /// Of those, copied by S3 itself (CopyObject/UploadPartCopy).
    public var serverSide = 0
    /// Of those, streamed through this host (GET → PUT).
    public var streamed = 0
    /// Of those, copied part by part with the source's layout.
    public var multipart = 0
    /// Copies verified by equal ETags.
    public var verifiedByETag = 0
    /// Copies whose ETags are not comparable (SSE-KMS, a guessed part layout), verified by size.
    public var verifiedBySize = 0
    /// Multipart copies made with another part layout than the source's, which the provider would not tell: their
    /// ETags differ, and the pair is recorded in the queue.
    public var relayouts = 0
    /// Copies verified by a full-object checksum equal to the source's.
    public var verifiedByChecksum = 0
    /// Objects found equal by their full-object checksums (one HeadObject per side) and adopted into the catalog
    /// instead of copied.
    public var adopted = 0
    /// Objects already in the backup when a retried task checked first.
    public var alreadyPresent = 0
    /// Objects gone from the source between listing and copying (the next run settles them).
    public var vanished = 0
    /// Keys deleted from the backup.
    public var deleted = 0
    /// S3 requests that failed and were tried again. Workers now add them to the run in the queue as each task
    /// ends, whatever its outcome (`RunSummary.requestRetries`), and the report adds those in; a result stored
    /// before schema 5 may still hold some here.
    public var requestRetries = 0
    /// Of the failed requests, those S3 throttled (SlowDown); like `requestRetries`.
    public var throttled = 0
    /// Archived objects S3 was asked to retrieve (RestoreObject accepted); one retrieval already under way, asked by
    /// someone else or an earlier attempt, is not counted again.
    public var retrievalsRequested = 0
    /// Their bytes.
    public var retrievalBytes: Int64 = 0
    /// What those retrievals cost by AWS's list prices, in US dollars (`RetrievalPrices`).
    public var retrievalCost = 0.0
    /// Objects copied once their retrieval was done.
    public var retrieved = 0
    /// Keys (relative to the prefixes) of archived source objects left uncopied because the run does not retrieve
    /// (a backup without `--restore-archived`).
    public var archivedNotCopied: [String] = []
    /// Keys of source objects encrypted with a customer-provided key (SSE-C), which S3 reads or copies only with that
    /// key, and s3backup does not hold: left uncopied, named.
    public var customerKeyNotCopied: [String] = []
    /// Backup versions whose Object Lock was extended or first set (PutObjectRetention), or found locked long enough.
    public var locksExtended = 0

    enum CodingKeys: String, CodingKey {
        case copied, copiedBytes, serverSide, streamed, multipart, verifiedBySize, verifiedByChecksum, adopted, relayouts
        case alreadyPresent, vanished, deleted
        case requestRetries, throttled, retrievalsRequested, retrievalBytes, retrievalCost, retrieved, archivedNotCopied
        case customerKeyNotCopied, locksExtended
        case verifiedByETag = "verifiedByEtag"
    }

    /// Adds another outcome's counts.
    public mutating func add(_ other: TaskOutcome) {
        copied += other.copied
        copiedBytes += other.copiedBytes
        serverSide += other.serverSide
        streamed += other.streamed
        multipart += other.multipart
        verifiedByETag += other.verifiedByETag
        verifiedBySize += other.verifiedBySize
        verifiedByChecksum += other.verifiedByChecksum
        adopted += other.adopted
        relayouts += other.relayouts
        alreadyPresent += other.alreadyPresent
        vanished += other.vanished
        deleted += other.deleted
        requestRetries += other.requestRetries
        throttled += other.throttled
        retrievalsRequested += other.retrievalsRequested
        retrievalBytes += other.retrievalBytes
        retrievalCost += other.retrievalCost
        retrieved += other.retrieved
        archivedNotCopied += other.archivedNotCopied
        customerKeyNotCopied += other.customerKeyNotCopied
        locksExtended += other.locksExtended
    }
}

extension TaskOutcome {
    /// Decodes a result; counts a result lacks (one stored by an earlier version) are 0.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func count<T: Decodable & AdditiveArithmetic>(_ key: CodingKeys) throws -> T {
            try container.decodeIfPresent(T.self, forKey: key) ?? .zero
        }
        self.init(copied: try count(.copied), copiedBytes: try count(.copiedBytes), serverSide: try count(.serverSide),
                  streamed: try count(.streamed), multipart: try count(.multipart),
                  verifiedByETag: try count(.verifiedByETag), verifiedBySize: try count(.verifiedBySize),
                  relayouts: try count(.relayouts), verifiedByChecksum: try count(.verifiedByChecksum), adopted: try count(.adopted),
                  alreadyPresent: try count(.alreadyPresent), vanished: try count(.vanished),
                  deleted: try count(.deleted), requestRetries: try count(.requestRetries),
                  throttled: try count(.throttled), retrievalsRequested: try count(.retrievalsRequested),
                  retrievalBytes: try count(.retrievalBytes), retrievalCost: try count(.retrievalCost),
                  retrieved: try count(.retrieved),
                  archivedNotCopied: try container.decodeIfPresent([String].self, forKey: .archivedNotCopied) ?? [],
                  customerKeyNotCopied: try container.decodeIfPresent([String].self, forKey: .customerKeyNotCopied) ?? [],
                  locksExtended: try count(.locksExtended))
    }
}

/// JSON coding for payloads and results.
enum Payload {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    /// A task's unique key: its kind and a digest of its keys, so planning the same listing twice adds nothing.
    static func uniqueKey(kind: String, unit: String, keys: [String]) -> String {
        var hasher = Digest.Hasher.sha256()
        hasher.update(Array(unit.utf8))
        for key in keys {
            hasher.update([0])
            hasher.update(Array(key.utf8))
        }
        return "\(kind):\(hasher.finish().prefix(16).hex)"
    }
}
