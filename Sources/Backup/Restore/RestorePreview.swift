import Queue
import S3

/// What a restore would do, found by planning it without acting: the counts, the first keys to copy and to delete,
/// and for a key list what becomes of every listed key (`ListedKeys`). Shown by `--dryrun` and before the question on
/// a terminal; taken before a restore by key list, whose listed keys not in the backup make it partial.
public struct RestorePreview: Codable, Sendable {
    /// The backup restored from.
    public var from: String
    /// The primary restored into.
    public var to: String
    /// The moment the backup is read at, if not now.
    public var asOf: String?
    /// What planning found: `missing` to copy, `changed` to overwrite, `same` unchanged, `extra` only in the primary.
    public var plan: PlanFindings
    /// Whether the restore deletes in the primary what the backup lacks (`--delete`).
    public var deletes: Bool
    /// Why those deletes would be refused, if they would.
    public var deletesRefused: String?
    /// The keys to copy or overwrite: the first ones, all counted.
    public var toCopy: KeySample
    /// The keys to delete from the primary (with `--delete`; none without): the first ones, all counted.
    public var toDelete: KeySample
    /// For a key list: what becomes of each listed key.
    public var listedKeys: ListedKeys?
    /// What the archived objects to copy will take and cost to retrieve first; nil when the restore does not retrieve.
    public var retrieval: RetrievalEstimate?

    /// Plans the restore `parameters` describe (`list` the key list its `onlyKeys` came from, if any), keeping the
    /// first `keep` keys to copy and to delete; `catalog` is the queue whose catalog of copies decides objects whose
    /// ETags differ, where there is a queue.
    public static func plan(_ parameters: RunParameters, environment: [String: String], catalog: (any TaskQueue)?,
                            list: KeyList?, keep: Int) async throws -> RestorePreview {
        var preview = parameters
        // Keys only in the primary reach the sink as deletes only when the plan mirrors deletes; nothing is deleted
        // here either way (the sink only keeps keys).
        preview.mirrorDeletes = true
        var planner = try Planner(parameters: preview, environment: environment)
        planner.catalog = catalog
        // A key list's keys are all kept (as many as the list, which is in memory already): the rule needs each.
        let sink = PreviewSink(sampleSize: list == nil ? keep : Int.max)
        let findings = try await planner.planAll(into: sink)
        let refusal = BackupPlanning.deleteRefusal(findings, cap: parameters.maxDelete, mirror: parameters.mirrorDeletes)
        let (copies, extras) = sink.samples
        var listed: ListedKeys?
        if let list {
            let undecided = ListedKeys.undecided(list, copies: copies, onlyInPrimary: extras)
            let unchanged = undecided.count == findings.same ? undecided : try await held(undecided, by: planner)
            listed = ListedKeys(list: list, asOf: parameters.asOf, copies: copies, onlyInPrimary: extras,
                                deletes: parameters.mirrorDeletes && refusal == nil, unchanged: unchanged)
        }
        return RestorePreview(from: parameters.source.url, to: parameters.backup.url, asOf: parameters.asOf, plan: findings,
                              deletes: parameters.mirrorDeletes, deletesRefused: refusal,
                              toCopy: KeySample(keys: Array(copies.prefix(keep)), total: findings.missing + findings.changed),
                              toDelete: parameters.mirrorDeletes ? KeySample(keys: Array(extras.prefix(keep)), total: findings.extra) : .empty,
                              listedKeys: listed,
                              retrieval: parameters.retrieval.map { RetrievalEstimate(tier: $0.tier, counts: sink.archivedCounts) })
    }

    /// Of `keys`, those the planner's destination (the primary) holds now: HeadObject, 16 at a time.
    private static func held(_ keys: [String], by planner: Planner) async throws -> [String] {
        let found = LockedBox<[String]>([])
        let url = planner.backupURL
        try await forEachConcurrently(keys, width: 16) { key in
            do {
                _ = try await planner.backup.headObject(bucket: url.bucket, key: url.prefix + key)
                found.mutate { $0.append(key) }
            } catch let error as S3Error where error.code == "NoSuchKey" {}
        }
        return found.value
    }

    /// Lines for a person: the counts, the first 20 keys to copy and to delete, and the key list's accounting.
    public var text: String {
        var lines = ["\(from)\(asOf.map { " as of \($0)" } ?? "") → \(to): \(plan.missing) to copy, \(plan.changed) to overwrite, "
            + "\(plan.same) unchanged, " + (deletes ? "\(plan.extra) to delete" : "\(plan.extra) only in the primary (kept)")]
        if toCopy.total > 0 { lines.append("  to copy or overwrite: " + toCopy.text()) }
        if toDelete.total > 0 { lines.append("  to delete: " + toDelete.text()) }
        if let deletesRefused { lines.append("  \(deletesRefused)") }
        if let listedKeys { lines += listedKeys.lines().map { "  " + $0 } }
        if let retrieval { lines += retrieval.lines.map { "  " + $0 } }
        return lines.joined(separator: "\n")
    }
}
