import Foundation
import S3

/// Whether an object to copy can be read now. An object the listing says may be archived (GLACIER, DEEP_ARCHIVE,
/// INTELLIGENT_TIERING) is asked with HeadObject first: one that needs a retrieval is retrieved (RestoreObject at
/// the run's tier) when the run retrieves, and left, named, when it does not. HeadObject's `x-amz-restore` tells a
/// retrieval already under way, so a task checked again, or taken over after its worker died, never asks twice.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects.html
struct ArchiveCheck: Sendable {
    let source: any ObjectStore
    let sourceURL: S3URL
    /// How the run retrieves; nil when it does not.
    let retrieval: ArchiveRetrieval?

    /// What the check found.
    enum Readiness: Equatable {
        /// Readable now; `retrieved` when that took a retrieval.
        case readable(retrieved: Bool)
        /// Being retrieved: check again later. `request` is the estimate of a retrieval this check asked for; nil
        /// when it was under way already.
        case waiting(request: Request?)
        /// Archived, and the run does not retrieve: left where it is; `archive` says where it is.
        case notRetrieved(archive: String)
        /// Gone from the source since it was listed.
        case gone
    }

    /// A retrieval this check asked for: its size and estimated cost.
    struct Request: Equatable {
        var bytes: Int64
        var cost: Double
    }

    /// Checks `item` (costs nothing for an object the listing shows in a class that is never archived).
    func readiness(of item: CopyItem) async throws -> Readiness {
        guard let listed = item.storageClass, StorageClass.mayBeArchived(listed) else { return .readable(retrieved: false) }
        return try await readiness(key: item.key, versionID: item.versionID)
    }

    /// Checks the object at `key` (relative to the source's prefix), or its version, whatever its class.
    func readiness(key relative: String, versionID: String?) async throws -> Readiness {
        let key = sourceURL.prefix + relative
        let head: ObjectInfo
        do {
            head = try await source.headObject(bucket: sourceURL.bucket, key: key, versionID: versionID)
        } catch let error as S3Error where error.status == 404 {
            return .gone
        }
        guard head.needsRetrieval else { return .readable(retrieved: head.retrieval != nil) }
        let archive = RetrievalPrices.Archive(storageClass: head.storageClass, archiveStatus: head.archiveStatus)
        guard let retrieval else { return .notRetrieved(archive: archive?.rawValue ?? head.storageClass) }
        if head.retrieval == .ongoing { return .waiting(request: nil) }
        guard retrieval.tier.isOffered(storageClass: head.storageClass, archiveStatus: head.archiveStatus) else {
            throw S3Error(.configuration, "\(archive?.rawValue ?? head.storageClass) has no \(retrieval.tier.rawValue) retrieval; "
                            + "pass --archive-tier Standard or Bulk", operation: "RestoreObject", bucket: sourceURL.bucket, key: key)
        }
        let intelligent = head.archiveStatus != nil
        switch try await source.restoreObject(bucket: sourceURL.bucket, key: key, versionID: versionID, tier: retrieval.tier,
                                              days: intelligent ? nil : retrieval.days) {
        case .alreadyDone:
            return .readable(retrieved: true)
        case .alreadyInProgress:
            return .waiting(request: nil)
        case .accepted:
            let price = archive.flatMap { RetrievalPrices.price($0, retrieval.tier) }
            return .waiting(request: Request(bytes: head.size, cost: price?.cost(objects: 1, bytes: head.size) ?? 0))
        }
    }

    /// When a task whose objects are being retrieved is checked again after its `check`-th check: `first` after the
    /// first, twice as long after each further one, at most `longest` (a retrieval takes minutes to 48 hours; HEADs
    /// cost little, but there is no sense in asking every minute for a day).
    static func nextCheck(after check: Int, first: Duration, longest: Duration = .seconds(1_800)) -> Duration {
        precondition(check >= 1, "checks count from 1")
        return min(first * (1 << min(check - 1, 20)), max(first, longest))
    }
}
