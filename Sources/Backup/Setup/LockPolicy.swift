import Foundation
import S3

/// How the backup's versions are locked: the Object Lock mode and the days every current version stays locked
/// ahead. Setup records it as tags of the backup bucket, which only the setup role may change; each run reads it
/// there, so a stolen nightly key or a changed config file cannot lower it.
///
/// Each copy gets its own retain-until date (`x-amz-object-lock-retain-until-date`), not a bucket default, so
/// retention follows the backup's own schedule: a version is written locked for `days` plus `renewalDays`, and
/// a run extends a current version's lock once fewer than `days` plus one day remain, back to `days` plus
/// `renewalDays`. So every current version is always locked at least `days` ahead, given one run a day, and each
/// version needs one PutObjectRetention about every `renewalDays - 1` days rather than every night.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
public struct LockPolicy: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The mode copies are locked in.
    public var mode: ObjectLockMode
    /// Days every current version stays locked ahead, at least.
    public var days: Int

    /// The days a policy may ask: 1 to 36,500 (S3's own bound on a retention period is 100 years).
    public static let dayRange = 1...36_500

    /// The policy; `days` within `dayRange`.
    public init(mode: ObjectLockMode, days: Int) {
        precondition(Self.dayRange.contains(days), "a retention of 1 to 36,500 days")
        self.mode = mode
        self.days = days
    }

    /// Days a lock is set beyond `days` when it is written or extended: half of `days`, at least one.
    public var renewalDays: Int { max(1, (days + 1) / 2) }

    /// The retention a version written or extended at `now` gets.
    public func retention(at now: Date) -> ObjectRetention {
        ObjectRetention(mode: mode, until: now.addingTimeInterval(Double(days + renewalDays) * 86_400))
    }

    /// The retention a version holding `held` (nil: none) gets when a run at `now` extends it: `retention(at:)`, but
    /// never shorter or weaker than `held` (its later date, and compliance mode if it has it).
    public func extended(_ held: ObjectRetention?, at now: Date) -> ObjectRetention {
        let wanted = retention(at: now)
        guard let held else { return wanted }
        return ObjectRetention(mode: held.mode == .compliance ? .compliance : mode, until: max(held.until, wanted.until))
    }

    /// The moment before which a current version's lock ends too soon for a run at `now`: it would fall short of
    /// `days` ahead before a run a day later, so this run extends it.
    public func extensionDue(at now: Date) -> Date { now.addingTimeInterval(Double(days + 1) * 86_400) }

    /// `GOVERNANCE, 30 days`.
    public var description: String { "\(mode.rawValue), \(days) days" }

    /// The bucket tags that record a policy.
    static let modeTag = "s3backup:object-lock-mode", daysTag = "s3backup:retention-days"

    /// The tags recording this policy.
    var tags: [Tag] { [Tag(key: Self.modeTag, value: mode.rawValue), Tag(key: Self.daysTag, value: String(days))] }

    /// The policy `tags` record; nil when they record none. Tags that record one badly are an error: a run must not
    /// go on unlocked because someone misspelt a mode.
    public static func recorded(in tags: [Tag], bucket: String) throws -> LockPolicy? {
        let mode = tags.first { $0.key == modeTag }?.value, days = tags.first { $0.key == daysTag }?.value
        if mode == nil && days == nil { return nil }
        guard let mode = mode.flatMap(ObjectLockMode.init(name:)), let days = days.flatMap({ Int($0) }), dayRange.contains(days) else {
            throw SetupError("s3://\(bucket)'s tags \(modeTag)=\(mode ?? "(none)") and \(daysTag)=\(days ?? "(none)") do not record an "
                + "Object Lock policy; run s3backup setup --object-lock governance|compliance --retention-days N with the setup role")
        }
        return LockPolicy(mode: mode, days: days)
    }

    /// The policy recorded on `bucket`, checked against the bucket's Object Lock configuration: nil when none is
    /// recorded; an error when one is and Object Lock is not enabled (a run would write versions nobody locks).
    public static func read(bucket: String, from store: any ObjectStore) async throws -> LockPolicy? {
        guard let policy = try recorded(in: try await store.getBucketTagging(bucket), bucket: bucket) else { return nil }
        guard try await store.getObjectLockConfiguration(bucket).enabled else {
            throw SetupError("s3://\(bucket) records the Object Lock policy \(policy), but Object Lock is not enabled on it; "
                + "run s3backup setup --check with the setup role to see what changed")
        }
        return policy
    }
}
