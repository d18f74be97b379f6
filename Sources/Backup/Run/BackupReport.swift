import Failures
import Foundation
import Queue
import S3

/// The numbers of one backup run: what planning found, what the workers did, and whether the backup now
/// matches the source.
public struct BackupReport: Codable, Sendable {
    /// The run.
    public var run: RunID
    /// `backup` (primary to backup) or `restore` (backup to primary).
    public var kind = "backup"
    /// `s3://…` the run copied from: the primary of a backup, the backup of a restore.
    public var source: String
    /// `s3://…` the run copied to: the backup of a backup, the primary of a restore.
    public var backup: String
    /// Whether this run was an unfinished one picked up again.
    public var resumed: Bool
    /// What the listing and diff found before copying.
    public var plan: PlanFindings
    /// What the workers did.
    public var work: TaskOutcome
    /// Tasks by state at the end.
    public var tasks: [String: Int]
    /// Why deletes were refused, if they were.
    public var deletesRefused: String?
    /// Seconds from the run's creation in the queue to its end: the one duration every view of the run shows (a
    /// resumed run's includes the time it lay unfinished).
    public var seconds: Double
    /// Both buckets listed again after the run, when asked for (`s3backup report`).
    public var verification: Verification?
    /// When the run was created.
    public var startedAt: Date?
    /// Attempts beyond each task's first.
    public var retries = 0
    /// When each task finished and what it moved: throughput over the run.
    public var timeline: [TimelinePoint] = []
    /// What planning found per unit (prefix) of the key space.
    public var units: [UnitWork] = []
    /// Tasks that failed on every attempt, with the objects that failed in them.
    public var failures: [DeadTask] = []
    /// The tier archived objects were retrieved at; nil for a run that does not retrieve.
    public var retrievalTier: RetrievalTier?
    /// The Object Lock policy the run locked its copies by; nil when the backup records none.
    public var lock: LockPolicy?
    /// Archived objects S3 is still retrieving, whose tasks wait in the queue (a restore that did not wait).
    public var retrievalsPending = 0
    /// The S3 requests made for the run (planning and work), by operation, every attempt counted.
    public var requests: [String: Int] = [:]
    /// What the run cost and what its destination costs to keep, by the prices it was loaded with.
    public var cost: CostEstimate?
    /// How the backups between the same locations went over the last nights (`addTrend`); nil until asked.
    public var trend: String?

    /// One finished task on the run's timeline.
    public struct TimelinePoint: Codable, Sendable, Equatable {
        /// When it finished.
        public var at: Date
        /// Objects it copied or deleted.
        public var objects: Int
        /// Bytes it copied.
        public var bytes: Int64
    }

    /// A unit's share of the work.
    public struct UnitWork: Codable, Sendable, Equatable {
        /// `deep:PREFIX` or `flat:PREFIX`.
        public var unit: String
        /// What planning found in it.
        public var findings: PlanFindings
    }

    /// The primary and the backup compared after a run: what the seed's operators checked by hand.
    public struct Verification: Codable, Sendable, Equatable {
        /// Objects and bytes in the primary now.
        public var sourceObjects: Int, sourceBytes: Int64
        /// Objects and bytes in the backup now.
        public var backupObjects: Int, backupBytes: Int64
        /// Objects the backup lacks or holds in another version.
        public var missing: Int, changed: Int
        /// Objects only the backup holds.
        public var extra: Int
        /// Of the missing and changed, those written to the primary since the run started: explained.
        public var writtenDuringRun: Int
        /// Differences nothing explains: not written during the run, not kept by a refused delete.
        public var unexplained: Int
        /// The unexplained differences by key, in byte order: all of them, up to `keyCap`. Fewer than
        /// `unexplained` beyond the cap, or where a listing could not say whether an object was written during the
        /// run (then only the differences known unexplained are named).
        public var unexplainedKeys: [UnexplainedKey] = []

        /// The most keys a verification names, so its memory stays bounded whatever the buckets hold (S3 keys are
        /// at most 1,024 bytes: about 10 MB at worst); `--json` lists them all, the text the first `textKeys`.
        public static let keyCap = 10_000
        /// The keys the text report (and the mail, and the HTML page) names.
        public static let textKeys = 20

        init(_ findings: PlanFindings, deletesRefused: Bool) {
            sourceObjects = findings.sourceObjects
            sourceBytes = findings.sourceBytes
            backupObjects = findings.backupObjects
            backupBytes = findings.backupBytes
            missing = findings.missing
            changed = findings.changed
            extra = findings.extra
            writtenDuringRun = findings.recent
            unexplained = findings.missing + findings.changed - findings.recent + (deletesRefused ? 0 : findings.extra)
        }
    }

    /// A difference between the buckets that nothing explains, by key.
    public struct UnexplainedKey: Codable, Sendable, Equatable {
        /// How the backup differs from the primary.
        public enum Difference: String, Codable, Sendable {
            /// The backup lacks the object or holds another version of it.
            case missingOrDifferent = "missing_or_different"
            /// Only the backup holds it.
            case onlyInBackup = "only_in_backup"

            /// The words the text report uses, for a run that copies to `destination` ("backup", or "primary" for a
            /// restore).
            public func words(in destination: String) -> String {
                switch self {
                case .missingOrDifferent: "missing or different in the \(destination)"
                case .onlyInBackup: "only in the \(destination)"
                }
            }
        }

        /// The key, relative to both prefixes.
        public var key: String
        /// How it differs.
        public var difference: Difference

        /// A difference.
        public init(key: String, difference: Difference) {
            self.key = key
            self.difference = difference
        }
    }

    /// Tasks that failed on every attempt.
    public var deadTasks: Int { tasks[TaskState.dead.rawValue] ?? 0 }

    /// Whether the backup holds exactly the source as listed (deletes refused by the cap aside): every task of
    /// the run succeeded, and a copy task succeeds only when each of its copies was verified (or its source had
    /// gone), a delete task only when each key was deleted.
    public var matches: Bool {
        TaskState.allCases.allSatisfy { $0 == .succeeded || (tasks[$0.rawValue] ?? 0) == 0 }
    }

    /// How the run ended, from best to worst.
    public enum Verdict: String, Codable, Sendable {
        /// The backup matches the source.
        case success
        /// Deletes were refused (delete cap, empty source); everything else matches.
        case refused
        /// Some objects failed after every retry (`s3backup failed` names them).
        case partial
        /// Tasks are left undone (the workers stopped before the end): run the same command again.
        case mismatch
    }

    /// What the verdict is as a failure; nil for success.
    public var failure: FailureCategory? {
        switch verdict {
        case .success: nil
        case .refused: .refused
        case .partial: .partial
        case .mismatch: .failed
        }
    }

    /// The verdict.
    public var verdict: Verdict {
        if deadTasks > 0 || !work.archivedNotCopied.isEmpty || !work.customerKeyNotCopied.isEmpty { return .partial }
        if !matches || (verification?.unexplained ?? 0) > 0 { return .mismatch }
        return deletesRefused == nil ? .success : .refused
    }

    /// The names of the run's two sides, in its direction: a backup copies from the primary to the backup, a
    /// restore from the backup to the primary.
    public var sides: (from: String, to: String) { kind == "restore" ? ("backup", "primary") : ("primary", "backup") }

    /// "backup s3://… → s3://…", or "restore …": what the run did, for a first line or a subject.
    public var title: String { "\(kind) \(source) → \(backup)" }

    /// A few lines for a person. Sizes in IEC units (`ByteCount`); each side called by its name in this direction.
    public var text: String {
        let bytes = ByteCount.text, (from, to) = sides
        let elapsed = max(seconds, 0.001)
        var lines = [
            "run \(run)\(resumed ? " (resumed)" : ""): \(title) in \(String(format: "%.1f", seconds)) s: \(verdict.rawValue)",
            "  listed: \(from) \(plan.sourceObjects) objects (\(bytes(plan.sourceBytes))), \(to) \(plan.backupObjects) objects "
                + "(\(bytes(plan.backupBytes)))",
            "  planned: \(plan.missing + plan.changed) to copy (\(bytes(plan.copyBytes)): \(plan.missing) not in the \(to), "
                + "\(plan.changed) different), \(plan.same) unchanged, \(plan.extra) to delete",
            "  rules: copy when missing (\(plan.missing)), when the size differs (\(plan.changedSize)), when the size is equal "
                + "but the ETag differs (\(plan.changed - plan.changedSize), \(plan.unproven) of them with no catalog row: compared "
                + "by checksum first); skip when size and ETag are equal (\(plan.same - plan.sameByRecord)) or both sides list as "
                + "the catalog recorded the copy (\(plan.sameByRecord)); delete when only in the \(to) (\(plan.extra))",
            "  done: \(work.copied) copied (\(bytes(work.copiedBytes)); \(work.serverSide) server-side, \(work.streamed) streamed, "
                + "\(work.multipart) multipart in the \(from)'s part layout, \(work.relayouts) in another part layout), "
                + "\(work.deleted) deleted, \(work.vanished) gone from the \(from) since listed, \(work.alreadyPresent) already there",
            "  verified: \(work.verifiedByETag) by ETag, \(work.verifiedByChecksum) by checksum, \(work.verifiedBySize) by size; "
                + "\(retries) task retries, "
                + "\(work.requestRetries) request retries (\(work.throttled) throttled); "
                + String(format: "%.1f objects/s, ", Double(work.copied + work.deleted) / elapsed)
                + ByteCount.rate(Double(work.copiedBytes) / elapsed),
        ]
        if let lock = lockLine { lines.append("  object lock: " + lock) }
        lines += catalogLines.map { "  " + $0 }
        lines += (cost?.lines(destination: to) ?? []).map { "  cost: " + $0 }
        if let retrievals = retrievalSummary { lines.append("  archives: " + retrievals) }
        for left in notCopied {
            lines.append("  \(left.what): \(left.keys.count) (\(left.advice))")
            lines += left.keys.prefix(Verification.textKeys).map { "    \(RunLog.quoted($0))" }
            if left.keys.count > Verification.textKeys {
                lines.append("    … and \(left.keys.count - Verification.textKeys) more: `--json` lists them")
            }
        }
        if let trend { lines.append("  trend: \(trend)") }
        if let refusal = deletesRefused { lines.append("  \(refusal)") }
        if deadTasks > 0 { lines.append("  \(deadTasks) task(s) failed on every attempt: see `s3backup failed --run \(run)`") }
        if let check = verification {
            lines.append("  now: \(from) \(check.sourceObjects) objects (\(bytes(check.sourceBytes))), \(to) \(check.backupObjects) "
                + "objects (\(bytes(check.backupBytes))); \(check.missing) missing, \(check.changed) different, \(check.extra) extra "
                + "in the \(to); \(check.writtenDuringRun) written to the \(from) since the run began; \(check.unexplained) unexplained")
            lines += Self.unexplainedLines(check, sides: sides)
        }
        return lines.joined(separator: "\n")
    }

    /// What Object Lock did in the run: the locks extended, and that the deleted objects' versions stay locked; nil
    /// when neither happened.
    var lockLine: String? {
        var parts: [String] = []
        if work.locksExtended > 0 {
            parts.append("\(work.locksExtended) locks of versions kept unchanged set or extended (never shortened)")
        }
        if let lock, work.deleted > 0 {
            // Each was current until this run, so locked at least `days` ahead, as every current version is.
            parts.append("the \(work.deleted) objects deleted are delete markers: their versions stay, locked (\(lock.mode.rawValue)) "
                + "until their retain-until dates, at least \(lock.days) days from now")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// What the catalog found, for the text and the page: copies changed or removed in the destination behind
    /// s3backup's back, and pairs without a row adopted by their checksums. Empty when neither happened.
    public var catalogLines: [String] {
        let to = sides.to
        var lines: [String] = []
        if plan.changedInBackup > 0 {
            lines.append("changed in the \(to): \(plan.changedInBackup) object(s) changed or removed in the \(to) since s3backup "
                + "copied them, copied again")
        }
        if plan.unproven > 0 || work.adopted > 0 {
            lines.append("adopted: \(work.adopted) of \(plan.unproven) same-size object(s) with other ETags and no catalog row were "
                + "equal by full-object checksum (one HeadObject per side) and entered into the catalog; the rest were copied")
        }
        return lines
    }

    /// The retrievals of archived objects, one line for the text and the page; nil for a run that asked none.
    public var retrievalSummary: String? {
        guard work.retrievalsRequested > 0 || work.retrieved > 0 || retrievalsPending > 0 else { return nil }
        return "\(work.retrievalsRequested) retrieval(s) asked (\(retrievalTier?.rawValue ?? "Standard"), "
            + "\(ByteCount.text(work.retrievalBytes)), \(RetrievalPrices.about(work.retrievalCost)) at AWS's us-east-1 list "
            + "prices), \(work.retrieved) copied once retrieved, \(retrievalsPending) still being retrieved"
    }

    /// Source objects the run left uncopied for a reason another attempt cannot mend, by reason: what they are, what
    /// to do, and their keys in byte order. Empty when it left none.
    public var notCopied: [(what: String, advice: String, keys: [String])] {
        let from = sides.from
        return [(what: "archived in the \(from), not copied", advice: "retrieve them, or run with --restore-archived",
                 keys: work.archivedNotCopied),
                (what: "encrypted in the \(from) with a customer-provided key (SSE-C), not copied",
                 advice: "s3backup does not hold the key: copy them with a tool that does", keys: work.customerKeyNotCopied)]
            .filter { !$0.keys.isEmpty }
            .map { ($0.what, $0.advice, $0.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }) }
    }

    /// The unexplained differences by key: the first `Verification.textKeys`, then how many more and where to
    /// find them.
    static func unexplainedLines(_ check: Verification, sides: (from: String, to: String)) -> [String] {
        guard check.unexplained > 0 else { return [] }
        let shown = check.unexplainedKeys.prefix(Verification.textKeys)
        var lines = shown.map { "    \($0.difference.words(in: sides.to)): \(RunLog.quoted($0.key))" }
        let more = check.unexplained - shown.count
        if more > 0, check.unexplainedKeys.count > shown.count {
            lines.append("    … and \(more) more: `s3backup report --json` lists them (up to \(Verification.keyCap))")
        } else if more > 0 {
            lines.append("    \(shown.isEmpty ? "" : "… and ")\(more) \(shown.isEmpty ? "" : "more ")not named: the listing did not "
                + "say whether the \(sides.from) wrote them during the run")
        }
        return ["  unexplained, by key (relative to both prefixes, in byte order):"] + lines
    }
}

extension BackupReport {
    /// The run a report is about: `requested`, else the newest backup run of `queue` (kept at `path`).
    public static func subject(_ requested: RunID?, in queue: any TaskQueue, path: String) async throws -> RunID {
        if let requested { return requested }
        guard let newest = try await queue.runs(limit: Int.max).first(where: { $0.kind == "backup" }) else {
            throw BackupError.noBackupRun(queue: path)
        }
        return newest.id
    }

    /// The report of `run` from what the queue kept: the plan's findings, the tasks' results and states, its requests
    /// priced by `prices`.
    public static func load(queue: any TaskQueue, run: RunID, resumed: Bool = false, prices: Prices = .aws) async throws -> BackupReport {
        let record = try await queue.run(run)
        var findings = PlanFindings()
        for unit in try await queue.units(run: run) {
            if let summary = unit.summary { findings.add(try Payload.decode(PlanFindings.self, Array(summary.utf8))) }
        }
        var work = TaskOutcome()
        var timeline: [TimelinePoint] = []
        for (finishedAt, result) in try await queue.results(run: run) {
            let outcome = try Payload.decode(TaskOutcome.self, result)
            work.add(outcome)
            timeline.append(TimelinePoint(at: finishedAt, objects: outcome.copied + outcome.deleted, bytes: outcome.copiedBytes))
        }
        let summary = try await queue.runs(limit: Int.max).first { $0.id == run }
        // Request retries are counted per run as tasks end (whatever their outcome); results stored before
        // schema 5 may hold some too.
        work.requestRetries += summary?.requestRetries ?? 0
        work.throttled += summary?.throttledRequests ?? 0
        let seconds = (summary?.finishedAt ?? Date()).timeIntervalSince(summary?.createdAt ?? Date())
        var report = BackupReport(run: run, source: record.source, backup: record.destination, resumed: resumed, plan: findings,
                                  work: work, tasks: summary?.tasks ?? [:], deletesRefused: record.note, seconds: seconds)
        report.kind = record.kind
        report.startedAt = summary?.createdAt
        report.retries = summary?.retries ?? 0
        report.timeline = timeline
        report.units = try await queue.units(run: run).compactMap { unit in
            guard let summary = unit.summary else { return nil }
            return UnitWork(unit: unit.unit, findings: try Payload.decode(PlanFindings.self, Array(summary.utf8)))
        }
        report.failures = try await queue.deadTasks(run: run)
        let parameters = try? RunParameters.stored(in: record)
        report.retrievalTier = parameters?.retrieval?.tier
        report.lock = parameters?.lock
        report.retrievalsPending = try await queue.waiting(run: run).objects
        report.requests = try await queue.requests(run: run)
        if let parameters { report.estimateCost(prices: prices, parameters: parameters) }
        return report
    }

    /// Sets `trend` from the backups between this run's locations that `queue` holds from the `days` before `now`
    /// (this one included); a restore has none.
    public mutating func addTrend(from queue: any TaskQueue, days: Int = 7, now: Date = Date()) async throws {
        guard kind == "backup" else { return }
        let history = try await History.load(queue: queue, since: now.addingTimeInterval(-Double(days) * 86_400)) { [source, backup] in
            $0.kind == "backup" && $0.source == source && $0.destination == backup && $0.createdAt <= now
        }
        trend = History.trend(of: history.runs, days: days, now: now)
    }

    /// Prices the run's requests, transfer and retrievals, and the destination's storage after it: the current
    /// versions planning listed and the copies left (its extra objects too, when the run did not delete them), and
    /// `noncurrent` versions when they were listed.
    public mutating func estimateCost(prices: Prices, parameters: RunParameters, noncurrent: [String: StorageTally]? = nil) {
        var current = plan.kept
        if deletesRefused != nil || !parameters.mirrorDeletes { current.merge(plan.extraByClass) { $0.adding($1) } }
        let regions = (plan.sourceRegion, plan.destinationRegion)
        cost = CostEstimate(prices: prices, requests: requests, storageClass: parameters.storageClass, copiedBytes: work.copiedBytes,
                            crossRegion: regions.0 != nil && regions.1 != nil && regions.0 != regions.1,
                            retrievalDollars: work.retrievalCost, current: current, noncurrent: noncurrent)
    }

    /// Lists both buckets again with `planner` and records how they compare, counting objects written to the
    /// primary since `since` (the run's start) as explained.
    public mutating func verify(with planner: Planner, since: Date) async throws {
        var planner = planner
        // S3's LastModified has whole seconds: an object written in the run's first second counts as during the run.
        let second = S3Time.string(Date(timeIntervalSince1970: since.timeIntervalSince1970.rounded(.down)))
        planner.recentSince = second
        // Extra objects are explained when deletes were refused, or when the run does not delete (a restore).
        let extrasExplained = deletesRefused != nil || !planner.parameters.mirrorDeletes
        let sink = UnexplainedKeySink(since: second, extrasExplained: extrasExplained, cap: Verification.keyCap)
        let findings = try await planner.planAll(into: sink)
        verification = Verification(findings, deletesRefused: extrasExplained)
        verification?.unexplainedKeys = sink.keys(writtenDuringRun: findings.recent)
    }
}

/// Collects the keys of the differences nothing explains while a verification lists both buckets: objects to copy
/// that the primary wrote before the run began and, unless extras are explained, keys only the backup holds. It
/// keeps the first `cap` in byte order (sorting and cutting whenever twice as many have piled up), so memory stays
/// bounded however many differ, and the same buckets give the same list.
final class UnexplainedKeySink: PlanSink {
    private struct Kept: Sendable {
        /// Known to be unexplained.
        var keys: [BackupReport.UnexplainedKey] = []
        /// To copy, but listed without a time: unexplained only if nothing was written during the run.
        var undated: [BackupReport.UnexplainedKey] = []
    }

    private let since: String
    private let extrasExplained: Bool
    private let cap: Int
    private let kept = LockedBox(Kept())

    /// A sink for differences of objects written before `since` (S3's ISO 8601 form, as the planner compares it).
    init(since: String, extrasExplained: Bool, cap: Int) {
        precondition(cap >= 1, "keep at least one key")
        self.since = since
        self.extrasExplained = extrasExplained
        self.cap = cap
    }

    func copy(_ batch: [CopyItem], unit: Unit) async throws {
        var dated: [BackupReport.UnexplainedKey] = [], undated: [BackupReport.UnexplainedKey] = []
        for item in batch {
            let key = BackupReport.UnexplainedKey(key: item.key, difference: .missingOrDifferent)
            // The planner counts an object written at or after `since` as written during the run: explained.
            guard let written = item.lastModified else {
                undated.append(key)
                continue
            }
            if written < since { dated.append(key) }
        }
        kept.mutate { kept in
            kept.keys = Self.bounded(kept.keys + dated, cap: cap)
            kept.undated = Self.bounded(kept.undated + undated, cap: cap)
        }
    }

    func delete(_ keys: [String], unit: Unit) async throws {
        guard !extrasExplained else { return }
        let extras = keys.map { BackupReport.UnexplainedKey(key: $0, difference: .onlyInBackup) }
        kept.mutate { $0.keys = Self.bounded($0.keys + extras, cap: cap) }
    }

    /// The first `cap` unexplained keys in byte order, given how many differences the planner found written during
    /// the run: with none, every undated copy is unexplained too; with some, undated ones cannot be told apart and
    /// are left out.
    func keys(writtenDuringRun: Int) -> [BackupReport.UnexplainedKey] {
        let kept = kept.value
        return Self.first(cap, of: writtenDuringRun == 0 ? kept.keys + kept.undated : kept.keys)
    }

    /// `keys` as they are while under twice `cap`, else cut to the first `cap`.
    private static func bounded(_ keys: [BackupReport.UnexplainedKey], cap: Int) -> [BackupReport.UnexplainedKey] {
        keys.count < 2 * cap ? keys : first(cap, of: keys)
    }

    /// The first `count` keys in byte order (keys are opaque bytes: no Unicode ordering or equivalence).
    private static func first(_ count: Int, of keys: [BackupReport.UnexplainedKey]) -> [BackupReport.UnexplainedKey] {
        Array(keys.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.prefix(count))
    }
}
