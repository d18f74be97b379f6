import S3

/// The keys a comparison found different, by kind: the first of each kind kept (`KeySample`), every one counted.
public struct DifferingKeys: Codable, Sendable, Equatable {
    /// In the primary, not in the backup.
    public var missing: KeySample
    /// In both, with another size or ETag (and no record of a copy with another part layout explains it).
    public var different: KeySample
    /// Only in the backup.
    public var extra: KeySample

    /// Keys to copy kept and told apart when only the first 20 of each kind are shown: the plan hands missing and
    /// different keys over together, so text mode asks the backup about up to this many (HeadObject each), enough to
    /// name both kinds unless one is rare among very many.
    public static let textWindow = 1_000

    /// Nothing differs.
    public static let none = DifferingKeys(missing: .empty, different: .empty, extra: .empty)

    /// The kinds with their names in text, in the order a report lists them.
    var kinds: [(name: String, sample: KeySample)] {
        [("missing in the backup", missing), ("different", different), ("only in the backup", extra)]
    }

    /// One line per kind that has keys, each naming the first `limit`.
    public func lines(limit: Int = KeySample.textLimit) -> [String] {
        kinds.filter { $0.sample.total > 0 }.map { name, sample in
            let named = sample.text(limit: limit)
            // The plan hands missing and different keys over together; a kind none of the kept ones turned out to be
            // is counted, not named.
            return "\(name): " + (named.isEmpty ? "\(sample.total), none among the keys told apart (\(KeySample.whereAllAre))" : named)
        }
    }

    /// The keys that differ, from a plan of the primary into the backup: `copies` (the first keys the plan would
    /// copy, which are missing or different: the planner hands both over alike) told apart by asking the backup for
    /// each (HeadObject: absent is missing, present is different), and `extras` (the first keys it would delete); the
    /// first `keep` of each kind are kept, the totals are `findings`' counts.
    static func classifying(copies: [String], extras: [String], keep: Int, findings: PlanFindings, backup: any ObjectStore,
                            at url: S3URL) async throws -> DifferingKeys {
        let present = LockedBox<[String]>([]), absent = LockedBox<[String]>([])
        try await forEachConcurrently(copies, width: 16) { key in
            do {
                _ = try await backup.headObject(bucket: url.bucket, key: url.prefix + key)
                present.mutate { $0.append(key) }
            } catch let error as S3Error where error.code == "NoSuchKey" {
                absent.mutate { $0.append(key) }
            }
        }
        return DifferingKeys(missing: KeySample(keys: absent.value, total: findings.missing).first(keep),
                             different: KeySample(keys: present.value, total: findings.changed).first(keep),
                             extra: KeySample(keys: extras, total: findings.extra).first(keep))
    }
}
