import Foundation
import S3

extension InMemoryObjectStore {
    /// GetBucketTagging.
    public func getBucketTagging(_ bucket: String) async throws -> [Tag] {
        try withState { state in
            state.operations.append("GetBucketTagging")
            return try state.bucket(bucket, operation: "GetBucketTagging", endpoint: endpoint).tags
                .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        }
    }

    /// PutBucketTagging: replaces the bucket's tags.
    public func putBucketTagging(_ bucket: String, tags: [Tag]) async throws {
        try withState { state in
            state.operations.append("PutBucketTagging")
            _ = try state.bucket(bucket, operation: "PutBucketTagging", endpoint: endpoint)
            state.buckets[bucket]!.tags = tags
        }
    }

    /// GetObjectLockConfiguration: this store keeps no default retention.
    public func getObjectLockConfiguration(_ bucket: String) async throws -> ObjectLockConfiguration {
        try withState { state in
            state.operations.append("GetObjectLockConfiguration")
            return ObjectLockConfiguration(enabled: try state.bucket(bucket, operation: "GetObjectLockConfiguration", endpoint: endpoint).objectLock)
        }
    }

    /// PutObjectLockConfiguration: as moto and RGW, only on a versioned bucket that holds no object yet.
    public func enableObjectLock(_ bucket: String) async throws {
        try withState { state in
            state.operations.append("PutObjectLockConfiguration")
            let stored = try state.bucket(bucket, operation: "PutObjectLockConfiguration", endpoint: endpoint)
            guard stored.versioning == .enabled, stored.keys.isEmpty || stored.objectLock else {
                throw state.error(409, "InvalidBucketState", "Object Lock configuration cannot be enabled on existing buckets",
                                  operation: "PutObjectLockConfiguration", bucket: bucket, key: nil, endpoint: endpoint)
            }
            state.buckets[bucket]!.objectLock = true
        }
    }

    /// PutObjectRetention: as S3 without the governance bypass, a retention only grows; a shorter one, or another mode
    /// on a version still locked, is AccessDenied. https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html
    public func putObjectRetention(bucket: String, key: String, versionID: String?, retention: ObjectRetention) async throws {
        try withState { state in
            state.operations.append("PutObjectRetention")
            guard try state.bucket(bucket, operation: "PutObjectRetention", endpoint: endpoint).objectLock else {
                throw state.error(400, "InvalidRequest", "Bucket is missing Object Lock Configuration", operation: "PutObjectRetention",
                                  bucket: bucket, key: key, endpoint: endpoint)
            }
            let target = try state.readable(bucket: bucket, key: key, versionID: versionID, operation: "PutObjectRetention", head: false,
                                            endpoint: endpoint)
            if let held = target.retention, held.until > state.clock, held.until > retention.until || held.mode != retention.mode {
                throw state.error(403, "AccessDenied", "Access Denied", operation: "PutObjectRetention", bucket: bucket, key: key,
                                  endpoint: endpoint)
            }
            try state.modify(bucket: bucket, key: key, versionID: versionID, operation: "PutObjectRetention", endpoint: endpoint) {
                $0.retention = retention
            }
        }
    }
}
