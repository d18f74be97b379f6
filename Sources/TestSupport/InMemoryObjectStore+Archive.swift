import Foundation
import S3

extension InMemoryObjectStore {
    // MARK: Test controls

    /// Makes each retrieval asked from now on answer `ongoing-request="true"` to this many HeadObjects before it is
    /// done (0, the default: done at once).
    public func retrievalsTake(heads: Int) {
        precondition(heads >= 0, "a count of HEADs")
        withState { $0.retrievalHeads = heads }
    }

    /// Moves a version into an Intelligent-Tiering archive tier (`ARCHIVE_ACCESS`, `DEEP_ARCHIVE_ACCESS`), as S3 does
    /// after 90 or 180 days without access where the bucket opted in: reads are refused until it is restored.
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/intelligent-tiering-overview.html
    public func archiveInIntelligentTiering(_ bucket: String, _ key: String, versionID: String? = nil,
                                            status: String = "ARCHIVE_ACCESS") throws {
        try withState { state in
            try state.modify(bucket: bucket, key: key, versionID: versionID, operation: "test", endpoint: endpoint) {
                $0.storageClass = "INTELLIGENT_TIERING"
                $0.archiveStatus = status
                $0.restored = false
            }
        }
    }

    /// Encrypts a version with a customer-provided key (SSE-C), as a writer that holds the key would have: its ETag is
    /// no MD5, and HeadObject, GetObject and copies without the key are refused (400).
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerSideEncryptionCustomerKeys.html
    public func encryptWithCustomerKey(_ bucket: String, _ key: String) throws {
        try withState { state in
            let etag = state.opaqueETag(parts: nil)
            try state.modify(bucket: bucket, key: key, versionID: nil, operation: "test", endpoint: endpoint) {
                $0.customerKey = true
                $0.encryption = nil
                $0.etag = etag
            }
        }
    }

    /// The RestoreObject requests S3 took for a version (the current one by default).
    public func retrievalRequests(_ bucket: String, _ key: String, versionID: String? = nil) throws -> Int {
        try withState { state in
            try state.readable(bucket: bucket, key: key, versionID: versionID, operation: "test", head: false,
                               endpoint: endpoint).retrievalRequests
        }
    }

    // MARK: RestoreObject

    /// RestoreObject as S3Client answers it: 403 InvalidObjectState for an object that is not archived, already in
    /// progress while a retrieval is under way, 200 when it is done already, else 202 and a retrieval
    /// that takes `retrievalsTake(heads:)` HEADs. DEEP_ARCHIVE refuses Expedited; Intelligent-Tiering refuses `Days`.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_RestoreObject.html
    public func restoreObject(bucket: String, key: String, versionID: String?, tier: RetrievalTier,
                              days: Int?) async throws -> RetrievalRequest {
        try withState { state in
            state.operations.append("RestoreObject")
            let version = try state.readable(bucket: bucket, key: key, versionID: versionID, operation: "RestoreObject",
                                             head: false, endpoint: endpoint)
            func refuse(_ status: Int, _ code: String, _ message: String) -> S3Error {
                state.error(status, code, message, operation: "RestoreObject", bucket: bucket, key: key, endpoint: endpoint)
            }
            let intelligent = version.archiveStatus != nil
            guard StorageClass.archived.contains(version.storageClass) || intelligent else {
                throw refuse(403, "InvalidObjectState", "Restore is not allowed for the object's current storage class")
            }
            guard tier.isOffered(storageClass: version.storageClass, archiveStatus: version.archiveStatus) else {
                throw refuse(400, "InvalidArgument", "Expedited retrieval is not available for this storage class")
            }
            guard intelligent == (days == nil) else {
                throw refuse(400, "MalformedXML", intelligent ? "Days is not allowed for Intelligent-Tiering"
                                                    : "Days is required")
            }
            if version.restored { return .alreadyDone }
            // S3 answers 409 RestoreAlreadyInProgress, which S3Client returns as this.
            if version.retrievalRequests > 0 { return .alreadyInProgress }
            let heads = state.retrievalHeads
            try state.modify(bucket: bucket, key: key, versionID: versionID, operation: "RestoreObject", endpoint: endpoint) {
                $0.retrievalRequests += 1
                $0.retrievalHeadsLeft = heads
                if heads == 0 { $0.restored = true }
            }
            return .accepted
        }
    }
}
