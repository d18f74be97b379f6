import Foundation
import S3

/// What `setup` found different from the wanted state of a bucket.
public struct Drift: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The bucket.
    public var bucket: String
    /// What differs, in words.
    public var finding: String
    /// `bucket: finding`.
    public var description: String { "\(bucket): \(finding)" }
}

/// Versioning and a lifecycle policy on a bucket: checked, applied idempotently, read back.
public struct BucketSetup: Sendable {
    let client: any ObjectStore
    let bucket: String
    /// The policy's rules.
    let rules: [LifecycleRule]

    /// Setup of `bucket` with `rules` (none: versioning only), through `client` (an `S3Client`, or any store).
    public init(client: any ObjectStore, bucket: String, rules: [LifecycleRule]) {
        self.client = client
        self.bucket = bucket
        self.rules = rules
    }

    /// The differences between the bucket and the wanted state.
    public func check() async throws -> [Drift] {
        var drift: [Drift] = []
        let versioning = try await client.getBucketVersioning(bucket)
        if versioning != .enabled { drift.append(Drift(bucket: bucket, finding: "versioning is \(versioning.rawValue), not enabled")) }
        let current = try await currentRules()
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

    /// Enables versioning and puts the policy's rules, keeping the bucket's other rules unless `replace`.
    /// Does nothing that is already so.
    public func apply(replace: Bool) async throws {
        if try await client.getBucketVersioning(bucket) != .enabled {
            try await client.putBucketVersioning(bucket, enabled: true)
        }
        guard !rules.isEmpty else { return }
        let current = try await currentRules()
        let kept = replace ? [] : current.filter { rule in !rules.contains { $0.id == rule.text("ID") } }
        let wanted = rules.map(\.xml) + kept.map(\.serialized)
        let unchanged = !replace && rules.allSatisfy { rule in current.contains { $0.text("ID") == rule.id && LifecycleRule($0) == rule } }
        if unchanged { return }
        try await client.putBucketLifecycle(bucket, xml: "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            + wanted.joined() + "</LifecycleConfiguration>")
    }

    private func currentRules() async throws -> [XMLTree] {
        try await client.getBucketLifecycle(bucket)?.children("Rule") ?? []
    }
}
