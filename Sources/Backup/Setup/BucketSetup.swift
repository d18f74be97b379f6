import Foundation
import S3

/// What `setup` found different from the wanted state of a bucket.
public struct Drift: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The bucket.
    public var bucket: String
    /// What differs, in words.
    public var finding: String
    /// Whether it is only worth knowing: the bucket still keeps what it must (setup exits 0).
    public var warning = false
    /// `bucket: finding`.
    public var description: String { "\(bucket): \(finding)" }
}

/// Versioning, a lifecycle policy and (on a backup) Object Lock on a bucket: checked, applied idempotently, read back.
public struct BucketSetup: Sendable {
    let client: any ObjectStore
    let bucket: String
    /// The policy's rules.
    let rules: [LifecycleRule]
    /// Whether the bucket is a backup, whose Object Lock is checked: as `lock` asks, or as recorded earlier.
    let isBackup: Bool
    /// The Object Lock policy asked for; nil asks for none.
    let lock: LockPolicy?

    /// Setup of `bucket` with `rules` (none: versioning only) and, for a backup, `lock`, through `client` (an
    /// `S3Client`, or any store).
    public init(client: any ObjectStore, bucket: String, rules: [LifecycleRule], isBackup: Bool = false, lock: LockPolicy? = nil) {
        precondition(lock == nil || isBackup, "Object Lock is the backup's")
        self.client = client
        self.bucket = bucket
        self.rules = rules
        self.isBackup = isBackup
        self.lock = lock
    }

    /// The differences between the bucket and the wanted state.
    public func check() async throws -> [Drift] {
        var drift: [Drift] = []
        let versioning = try await client.getBucketVersioning(bucket)
        if versioning != .enabled { drift.append(Drift(bucket: bucket, finding: "versioning is \(versioning.rawValue), not enabled")) }
        let current = try await currentRules()
        drift += try await lockDrift(current)
        for rule in rules {
            guard let found = current.first(where: { $0.text("ID") == rule.id }) else {
                drift.append(Drift(bucket: bucket, finding: "lifecycle rule \(rule.id.debugDescription) is missing"))
                continue
            }
            if LifecycleRule(found) != rule {
                drift.append(Drift(bucket: bucket, finding: "lifecycle rule \(rule.id.debugDescription) differs from the policy"))
            }
        }
        return drift
    }

    /// Enables versioning (and Object Lock, recording its policy), and puts the policy's rules, keeping the bucket's
    /// other rules unless `replace`. Does nothing that is already so.
    public func apply(replace: Bool) async throws {
        if try await client.getBucketVersioning(bucket) != .enabled {
            try await client.putBucketVersioning(bucket, enabled: true)
        }
        if let lock { try await applyLock(lock) }
        guard !rules.isEmpty else { return }
        let current = try await currentRules()
        let kept = replace ? [] : current.filter { rule in !rules.contains { $0.id == rule.text("ID") } }
        let wanted = rules.map(\.xml) + kept.map(\.serialized)
        let unchanged = !replace && rules.allSatisfy { rule in current.contains { $0.text("ID") == rule.id && LifecycleRule($0) == rule } }
        if unchanged { return }
        try await client.putBucketLifecycle(bucket, xml: "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            + wanted.joined() + "</LifecycleConfiguration>")
    }

    /// Enables Object Lock where it is not, and records `lock` in the bucket's tags, keeping its other tags.
    private func applyLock(_ lock: LockPolicy) async throws {
        if try await !client.getObjectLockConfiguration(bucket).enabled {
            do {
                try await client.enableObjectLock(bucket)
            } catch let error as S3Error where error.status == 409 || error.code == "InvalidRequest" || error.code == "InvalidBucketState" {
                // AWS enables it on any versioned bucket; moto only on an empty one, RGW only on one made with it.
                throw SetupError("s3://\(bucket) cannot have Object Lock enabled (\(error.code ?? "refused"): \(error.message)); make a new "
                    + "backup bucket with it (aws s3api create-bucket --bucket NAME --object-lock-enabled-for-bucket) and run setup "
                    + "on that one")
            }
        }
        let tags = try await client.getBucketTagging(bucket)
        let kept = tags.filter { ![LockPolicy.modeTag, LockPolicy.daysTag].contains($0.key) }
        if try LockPolicy.recorded(in: tags, bucket: bucket) != lock {
            try await client.putBucketTagging(bucket, tags: kept + lock.tags)
        }
    }

    /// How the bucket's Object Lock differs from the policy asked for, or else the one recorded: not enabled, not
    /// recorded as asked, a default retention someone set (each copy carries its own, and a default would lock what
    /// s3backup writes for other periods), a lifecycle that expires noncurrent versions before their locks end
    /// (a warning: S3 keeps such versions until then, and bills them).
    private func lockDrift(_ rules: [XMLTree]) async throws -> [Drift] {
        guard isBackup else { return [] }
        var drift: [Drift] = []
        let recorded: LockPolicy?
        do {
            recorded = try LockPolicy.recorded(in: try await client.getBucketTagging(bucket), bucket: bucket)
        } catch let error as SetupError {
            recorded = nil
            drift.append(Drift(bucket: bucket, finding: error.description))
        }
        guard let wanted = lock ?? recorded else { return drift }
        let configuration = try await client.getObjectLockConfiguration(bucket)
        if !configuration.enabled { drift.append(Drift(bucket: bucket, finding: "Object Lock is not enabled")) }
        if let rule = configuration.defaultRetention {
            drift.append(Drift(bucket: bucket, finding: "Object Lock has a default retention (\(rule)); s3backup locks each copy itself: "
                + "remove the default"))
        }
        if recorded != wanted {
            drift.append(Drift(bucket: bucket, finding: "the Object Lock policy recorded in its tags is "
                + (recorded.map { "\($0)" } ?? "none") + ", not \(wanted)"))
        }
        let lockedFor = wanted.days + wanted.renewalDays
        for rule in rules.compactMap(LifecycleRule.init) where rule.status == "Enabled" {
            if let days = rule.noncurrentDays, days < lockedFor {
                drift.append(Drift(bucket: bucket, finding: "lifecycle rule \(rule.id.debugDescription) expires noncurrent versions after "
                    + "\(days) days, before their locks end (up to \(lockedFor) days): S3 keeps them until then, and bills them",
                    warning: true))
            }
        }
        return drift
    }

    private func currentRules() async throws -> [XMLTree] {
        try await client.getBucketLifecycle(bucket)?.children("Rule") ?? []
    }
}
