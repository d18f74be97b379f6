import Foundation
import SigV4

/// One object to copy: its key relative to the run's prefixes, and what the listing said of it.
public struct CopyItem: Codable, Sendable, Equatable {
    /// Key relative to the source (and backup) prefix.
    public var key: String
    /// Size at listing time.
    public var size: Int64
    /// ETag at listing time, quotes included.
    public var etag: String
    /// The source version to copy (a point-in-time restore); nil for the current one.
    public var versionID: String?
}

/// The payload of a `copy` task.
public struct CopyBatch: Codable, Sendable, Equatable {
    /// Objects of one unit, in key order.
    public var objects: [CopyItem]
}

/// The payload of a `delete` task: keys relative to the backup prefix, at most 1,000.
public struct DeleteBatch: Codable, Sendable, Equatable {
    /// The keys.
    public var keys: [String]
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
    /// Copies whose ETags are not comparable (SSE-KMS), verified by size.
    public var verifiedBySize = 0
    /// Objects already in the backup when a retried task checked first.
    public var alreadyPresent = 0
    /// Objects gone from the source between listing and copying (the next run settles them).
    public var vanished = 0
    /// Keys deleted from the backup.
    public var deleted = 0

    enum CodingKeys: String, CodingKey {
        case copied, copiedBytes, serverSide, streamed, multipart, verifiedBySize, alreadyPresent, vanished, deleted
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
        alreadyPresent += other.alreadyPresent
        vanished += other.vanished
        deleted += other.deleted
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

extension String {
    /// Whether an ETag is a multipart upload's (`"…-N"`).
    var isMultipartETag: Bool { partsInETag != nil }

    /// N of a multipart ETag `"…-N"`.
    var partsInETag: Int? {
        let bytes = utf8.filter { $0 != UInt8(ascii: "\"") }
        guard let dash = bytes.lastIndex(of: UInt8(ascii: "-")) else { return nil }
        return Int(String(decoding: bytes[(dash + 1)...], as: UTF8.self))
    }
}
