import Foundation
import S3
import SigV4

/// The store's rules over its state, each run under the store's lock.
extension InMemoryObjectStore.State {
    /// The next opaque id (version ids, upload ids): unique, and in no order a caller could rely on.
    mutating func nextID() -> String {
        counter += 1
        return String(Digest.sha256(Array("id-\(counter)".utf8)).hex.prefix(32))
    }

    /// An ETag that is not the body's MD5, as S3 gives SSE-KMS (and SSE-C) objects: new for every write, copies too.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html#AmazonS3-Type-Object-ETag
    mutating func opaqueETag(parts: Int?) -> ETag {
        counter += 1
        return ETag(Digest.md5(Array("opaque-\(counter)".utf8)).hex + (parts.map { "-\($0)" } ?? ""))
    }

    /// The moment of the next write; the clock moves on a second.
    mutating func tick() -> Date {
        defer { clock.addTimeInterval(1) }
        return clock
    }

    /// The error S3Client would surface for S3's answer `status` `code`.
    func error(_ status: Int, _ code: String, _ message: String, operation: String, bucket: String?, key: String?,
               endpoint: Endpoint) -> S3Error {
        var error = S3Error(.service(status: status, code: code), message, operation: operation, bucket: bucket, key: key)
        error.endpoint = endpoint.description
        return error
    }

    /// `name`, or NoSuchBucket.
    func bucket(_ name: String, operation: String, endpoint: Endpoint) throws -> StoredBucket {
        guard let bucket = buckets[name] else {
            throw error(404, "NoSuchBucket", "The specified bucket does not exist", operation: operation, bucket: name, key: nil,
                        endpoint: endpoint)
        }
        return bucket
    }

    /// What S3 answers a read or copy of an SSE-C object made without its key (HeadObject: a bare 400).
    func customerKeyRefusal(operation: String, bucket: String, key: String, head: Bool, endpoint: Endpoint) -> S3Error {
        head ? error(400, "BadRequest", "S3 refused the request as malformed (400)", operation: operation, bucket: bucket,
                     key: key, endpoint: endpoint)
            : error(400, "InvalidRequest", "The object was stored using a form of Server Side Encryption. The correct "
                        + "parameters must be provided to retrieve the object.", operation: operation, bucket: bucket, key: key,
                    endpoint: endpoint)
    }

    /// The version a read of `key` (or `versionID`) gets, or the error S3 answers: NoSuchKey for a missing key or a
    /// current delete marker, NoSuchVersion for a missing version, 405 MethodNotAllowed for a delete marker asked by
    /// version id. A HEAD answer has no body, so its errors are what S3Client names from the status alone.
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html
    func readable(bucket: String, key: String, versionID: String?, operation: String, head: Bool,
                  endpoint: Endpoint) throws -> StoredVersion {
        func fail(_ status: Int, _ code: String, _ message: String) -> S3Error {
            error(status, code, message, operation: operation, bucket: bucket, key: key, endpoint: endpoint)
        }
        guard let stored = buckets[bucket] else {
            throw head ? fail(404, "NoSuchKey", "the object does not exist")
                : fail(404, "NoSuchBucket", "The specified bucket does not exist")
        }
        let versions = stored.keys[Array(key.utf8)] ?? []
        guard let versionID else {
            guard let current = versions.first, !current.isDeleteMarker else {
                throw head ? fail(404, "NoSuchKey", "the object does not exist")
                    : fail(404, "NoSuchKey", "The specified key does not exist.")
            }
            return current
        }
        guard let version = versions.first(where: { $0.versionID == versionID }) else {
            throw head ? fail(404, "NoSuchKey", "the object does not exist")
                : fail(404, "NoSuchVersion", "The specified version does not exist.")
        }
        if version.isDeleteMarker {
            throw head ? fail(405, "MethodNotAllowed", "not allowed on this object (a delete marker?)")
                : fail(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        }
        return version
    }

    /// Stores `version` as the newest of its key, as the bucket's versioning says: a new version id (enabled), the
    /// `null` version replaced (unversioned, suspended). https://docs.aws.amazon.com/AmazonS3/latest/userguide/AddingObjectstoVersionSuspendedBuckets.html
    mutating func write(_ version: StoredVersion, bucket: String, operation: String, endpoint: Endpoint) throws -> WriteResult {
        var stored = try self.bucket(bucket, operation: operation, endpoint: endpoint)
        if version.retention != nil && !stored.objectLock {
            throw error(400, "InvalidRequest", "Bucket is missing Object Lock Configuration", operation: operation, bucket: bucket,
                        key: version.key, endpoint: endpoint)
        }
        var version = version
        version.lastModified = tick()
        let key = Array(version.key.utf8)
        var versions = stored.keys[key] ?? []
        switch stored.versioning {
        case .enabled:
            version.versionID = nextID()
        case .unversioned, .suspended:
            version.versionID = "null"
            versions.removeAll { $0.versionID == "null" }
        }
        versions.insert(version, at: 0)
        stored.keys[key] = versions
        buckets[bucket] = stored
        // An unversioned bucket's answers carry no version id.
        return WriteResult(etag: version.etag, versionID: stored.versioning == .unversioned ? nil : version.versionID,
                           encryption: version.encryption, checksum: version.told)
    }

    /// Changes one stored version (tags, a restore) in place.
    mutating func modify(bucket: String, key: String, versionID: String?, operation: String, endpoint: Endpoint,
                         _ change: (inout StoredVersion) -> Void) throws {
        let target = try readable(bucket: bucket, key: key, versionID: versionID, operation: operation, head: false,
                                  endpoint: endpoint)
        let bytes = Array(key.utf8)
        guard let index = buckets[bucket]!.keys[bytes]!.firstIndex(where: { $0.versionID == target.versionID }) else { return }
        change(&buckets[bucket]!.keys[bytes]![index])
    }

    /// A delete as S3 does it: with `versionID` that version for good; otherwise a delete marker (versioned, or a
    /// `null` one when suspended) or the object itself (unversioned). Deleting what is not there succeeds. Returns
    /// the version id of the delete marker placed, if one was.
    @discardableResult
    mutating func delete(bucket: String, key: String, versionID: String?, operation: String, endpoint: Endpoint) throws -> String? {
        var stored = try self.bucket(bucket, operation: operation, endpoint: endpoint)
        let bytes = Array(key.utf8)
        var versions = stored.keys[bytes] ?? [], placed: String?
        if let versionID {
            if let locked = versions.first(where: { $0.versionID == versionID })?.retention, locked.until > clock {
                throw error(403, "AccessDenied", "Access Denied because object protected by object lock.", operation: operation,
                            bucket: bucket, key: key, endpoint: endpoint)
            }
            versions.removeAll { $0.versionID == versionID }
        } else {
            switch stored.versioning {
            case .unversioned:
                versions = []
            case .enabled, .suspended:
                var marker = StoredVersion(key: key, versionID: "null", isDeleteMarker: true, lastModified: tick())
                if stored.versioning == .enabled {
                    marker.versionID = nextID()
                } else {
                    versions.removeAll { $0.versionID == "null" }
                }
                versions.insert(marker, at: 0)
                placed = marker.versionID
            }
        }
        stored.keys[bytes] = versions.isEmpty ? nil : versions
        buckets[bucket] = stored
        return placed
    }

    /// The bytes of `range` (inclusive; an end past the object is cut to it, as S3 does), or 416 InvalidRange.
    /// https://www.rfc-editor.org/rfc/rfc9110#name-byte-ranges
    func slice(_ body: [UInt8], _ range: ClosedRange<Int64>?, operation: String, bucket: String, key: String,
               endpoint: Endpoint) throws -> ArraySlice<UInt8> {
        guard let range else { return body[...] }
        guard range.lowerBound < Int64(body.count) else {
            throw error(416, "InvalidRange", "The requested range is not satisfiable", operation: operation, bucket: bucket,
                        key: key, endpoint: endpoint)
        }
        return body[Int(range.lowerBound)...Int(min(range.upperBound, Int64(body.count) - 1))]
    }
}

extension StoredVersion {
    /// A version about to be written at `key`; the store gives it its id and time.
    init(key: String) {
        self.init(key: key, versionID: "", lastModified: .distantPast)
    }

    /// Takes the metadata, storage class, encryption and tags a write asks for; encryption defaults to the bucket's,
    /// then to SSE-S3 (S3 encrypts every new object). https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html
    mutating func apply(_ options: WriteOptions, bucketDefault: ServerSideEncryption?) {
        metadata = options.metadata
        storageClass = options.storageClass ?? "STANDARD"
        tags = options.tags ?? []
        retention = options.retention
        let encryption = options.encryption ?? bucketDefault ?? .s3
        self.encryption = encryption.algorithm
        if case .kms(let keyID) = encryption { kmsKeyID = keyID ?? "aws/s3" } else { kmsKeyID = nil }
    }

    /// What HeadObject answers about this version.
    func info(versioned: Bool) -> ObjectInfo {
        ObjectInfo(size: Int64(body.count), etag: etag, lastModified: InMemoryObjectStore.httpDate(lastModified),
                   versionID: versioned ? versionID : nil, storageClass: storageClass, metadata: metadata,
                   serverSideEncryption: encryption, kmsKeyID: kmsKeyID, tagCount: tags.count, retrieval: retrieval,
                   archiveStatus: restored ? nil : archiveStatus, checksum: told, retention: retention)
    }
}

extension InMemoryObjectStore {
    /// `date` as S3 lists it: ISO 8601, UTC, milliseconds (`2026-01-01T00:00:00.000Z`).
    public static func listedTime(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash)
            .time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted))
    }

    /// `date` as S3 sends Last-Modified: an HTTP date.
    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
