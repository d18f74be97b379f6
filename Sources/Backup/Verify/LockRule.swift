import Foundation
import S3

/// How long each version of a locked backup must stay locked, read off a version listing in S3's order (keys
/// ascending, each key's entries newest first): a pure streaming rule, one entry at a time, that remembers only the
/// entry before.
///
/// The current version must be locked `days` ahead of now: runs extend it to that (`LockPolicy`). A noncurrent
/// version was current until its successor (the next newer version or delete marker of its key) was written, and
/// until then runs kept it locked `days` ahead, so its lock must last `days` past its successor's LastModified; once
/// that moment has gone, nothing is owed. Either way `slack` is allowed: a run a day keeps every lock at least
/// `days + 1` ahead, so a lock only falls short once a run is more than a day late.
public struct LockRule: Sendable {
    /// What one listed entry owes.
    public enum Need: Sendable, Equatable {
        /// A delete marker: no lock; judged by who placed it.
        case marker
        /// A version that must be locked, in the policy's mode or a stricter one, until at least this moment.
        case lockedUntil(Date)
        /// A noncurrent version whose lock was owed until a moment that has passed.
        case nothing
    }

    /// What a version's retention is, judged against what it owes.
    public enum Verdict: String, Sendable, Equatable {
        /// Locked long enough, in a mode at least as strict.
        case held
        /// No retention at all.
        case unlocked
        /// Locked until too soon, or in governance mode where the policy asks for compliance.
        case short
    }

    /// The slack a lock is allowed before it counts as short: a day, a run's lateness.
    public static let slack: TimeInterval = 86_400

    /// The policy versions are judged by.
    public let policy: LockPolicy
    /// The moment of the judging.
    public let now: Date
    /// The entry before, of the listing: its key's bytes and its LastModified.
    private var previous: (key: [UInt8], lastModified: Date)?

    /// A rule for a listing taken at `now`.
    public init(policy: LockPolicy, now: Date) {
        self.policy = policy
        self.now = now
    }

    /// What `entry`, the listing's next, owes. Throws when entries do not come in S3's order, or a noncurrent
    /// version comes first for its key (its successor unlisted): no verdict could be trusted.
    public mutating func need(_ entry: ObjectVersion) throws -> Need {
        let key = Array(entry.key.utf8)
        guard let modified = S3Time.parse(entry.lastModified) else {
            throw S3Error(.invalidResponse, "a version listing gave \(entry.key.debugDescription) (version \(entry.versionID)) the "
                + "LastModified \(entry.lastModified.debugDescription), not an ISO 8601 moment", operation: "ListObjectVersions")
        }
        defer { previous = (key, modified) }
        let successor = previous.flatMap { $0.key == key ? $0.lastModified : nil }
        if let previous, previous.key != key, !previous.key.lexicographicallyPrecedes(key) {
            throw ListingOrderError(previous: String(decoding: previous.key, as: UTF8.self), next: entry.key)
        }
        if entry.isDeleteMarker { return .marker }
        let days = Double(policy.days) * 86_400
        if entry.isLatest { return .lockedUntil(now.addingTimeInterval(days - Self.slack)) }
        guard let successor else {
            throw S3Error(.invalidResponse, "a version listing gave \(entry.key.debugDescription)'s noncurrent version "
                + "\(entry.versionID) before any newer entry of its key", operation: "ListObjectVersions")
        }
        let owed = successor.addingTimeInterval(days - Self.slack)
        return owed > now ? .lockedUntil(owed) : .nothing
    }

    /// How `retention` (nil: none) meets a lock owed `until`.
    public func verdict(_ retention: ObjectRetention?, owed until: Date) -> Verdict {
        guard let retention else { return .unlocked }
        let weaker = policy.mode == .compliance && retention.mode != .compliance
        // S3 keeps whole seconds: a lock owed to the millisecond is held by the second that contains it.
        return weaker || retention.until < until.addingTimeInterval(-1) ? .short : .held
    }
}
