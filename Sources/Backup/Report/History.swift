import Foundation
import Queue

/// The runs a queue kept (it keeps them `--keep-days`, 30 by default), one line each, oldest first: what an operator
/// reads across nights. Every number is the run's own report's.
public struct History: Codable, Sendable {
    /// One run.
    public struct Entry: Codable, Sendable, Equatable {
        /// The run.
        public var run: RunID
        /// `backup` or `restore`.
        public var kind: String
        /// Where it read, and where it wrote.
        public var source: String, destination: String
        /// When it was created.
        public var startedAt: Date
        /// Seconds from its creation to its end (or until now, for a run going on).
        public var seconds: Double
        /// The report's verdict (`success`, `refused`, `partial`, `mismatch`), or `unfinished` / `cancelled`.
        public var verdict: String
        /// Objects and bytes planning listed on each side.
        public var sourceObjects: Int, sourceBytes: Int64, destinationObjects: Int, destinationBytes: Int64
        /// Objects and bytes copied, objects deleted.
        public var copied: Int, copiedBytes: Int64, deleted: Int
        /// Objects that failed on every attempt, or were left uncopied for a reason a retry cannot mend.
        public var failed: Int
        /// Attempts beyond each task's first, and S3 requests tried again.
        public var retries: Int, requestRetries: Int
        /// The cost estimate of the run, and of keeping its destination a month.
        public var costDollars: Double?, monthlyDollars: Double?

        /// The entry of `report`, whose run is in `state`.
        init(_ report: BackupReport, state: RunState) {
            run = report.run
            kind = report.kind
            source = report.source
            destination = report.backup
            startedAt = report.startedAt ?? Date()
            seconds = report.seconds
            verdict = switch state {
            case .finished: report.verdict.rawValue
            case .cancelled: "cancelled"
            case .planning, .running: "unfinished"
            }
            sourceObjects = report.plan.sourceObjects
            sourceBytes = report.plan.sourceBytes
            destinationObjects = report.plan.backupObjects
            destinationBytes = report.plan.backupBytes
            copied = report.work.copied
            copiedBytes = report.work.copiedBytes
            deleted = report.work.deleted
            failed = report.failures.reduce(0) { $0 + max($1.failures.count, 1) } + report.work.archivedNotCopied.count
                + report.work.customerKeyNotCopied.count
            retries = report.retries
            requestRetries = report.work.requestRetries
            costDollars = report.cost?.runDollars
            monthlyDollars = report.cost?.monthlyDollars
        }

        /// `run 12  backup  2026-12-01T02:00:04Z  3 m 10 s  success  primary 1200 objects (1.2 GiB) …`: one line.
        public var line: String {
            let bytes = ByteCount.text, (from, to) = kind == "restore" ? ("backup", "primary") : ("primary", "backup")
            return "run \(run)  \(kind)  \(startedAt.formatted(.iso8601))  \(History.duration(seconds))  \(verdict)  "
                + "\(from) \(sourceObjects) objects (\(bytes(sourceBytes))), \(to) \(destinationObjects) (\(bytes(destinationBytes)))  "
                + "copied \(copied) (\(bytes(copiedBytes))), deleted \(deleted), failed \(failed), retries \(retries)+\(requestRetries)"
                + (costDollars.map { "  \(RetrievalPrices.about($0))" } ?? "")
        }
    }

    /// When the history begins.
    public var since: Date
    /// The runs created since then, oldest first.
    public var runs: [Entry]

    /// The backup and restore runs `queue` holds created at or after `since` (those `include` takes), each from its
    /// report, costs priced by `prices`.
    public static func load(queue: any TaskQueue, since: Date, prices: Prices = .aws,
                            including include: (RunSummary) -> Bool = { _ in true }) async throws -> History {
        let summaries = try await queue.runs(limit: Int.max).filter {
            $0.createdAt >= since && ["backup", "restore"].contains($0.kind) && include($0)
        }
        var runs: [Entry] = []
        for summary in summaries.sorted(by: { $0.id < $1.id }) {
            var report = try await BackupReport.load(queue: queue, run: summary.id, prices: prices)
            if summary.finishedAt == nil { report.seconds = Date().timeIntervalSince(summary.createdAt) }
            runs.append(Entry(report, state: summary.state))
        }
        return History(since: since, runs: runs)
    }

    /// One line per run, and what the backups of each pair did over the history.
    public var text: String {
        guard !runs.isEmpty else { return "no backup or restore runs since \(since.formatted(.iso8601))" }
        let pairs = Dictionary(grouping: runs.filter { $0.kind == "backup" }) { "\($0.source) → \($0.destination)" }
        return (runs.map(\.line) + pairs.keys.sorted().compactMap { pair in
            History.trend(of: pairs[pair]!, days: nil).map { "\(pair): \($0)" }
        }).joined(separator: "\n")
    }

    /// `last 7 days, 7 runs: all succeeded, primary +1.2 % objects, median 3 m 10 s`: the backups among `runs` (of one
    /// pair, oldest first) in the `days` before `now` (all of them for nil); nil when there are none.
    public static func trend(of runs: [Entry], days: Int?, now: Date = Date()) -> String? {
        let start = days.map { now.addingTimeInterval(-Double($0) * 86_400) } ?? .distantPast
        let nights = runs.filter { $0.kind == "backup" && $0.startedAt >= start }
        guard let first = nights.first, let last = nights.last else { return nil }
        let failed = nights.filter { $0.verdict != "success" }
        let outcome = failed.isEmpty ? "all succeeded"
            : "\(nights.count - failed.count) of \(nights.count) succeeded (" + failed.map { "run \($0.run) \($0.verdict)" }.joined(separator: ", ") + ")"
        let growth = first.sourceObjects == 0 ? "" : String(format: ", primary %+.1f %% objects", Double(last.sourceObjects - first.sourceObjects)
            / Double(first.sourceObjects) * 100)
        let durations = nights.map(\.seconds).sorted()
        let median = durations.count % 2 == 1 ? durations[durations.count / 2]
            : (durations[durations.count / 2 - 1] + durations[durations.count / 2]) / 2
        let runs = "\(nights.count) run\(nights.count == 1 ? "" : "s")"
        let span = days.map { "last \($0) days, \(runs)" } ?? runs
        return "\(span): \(outcome)\(growth), median \(duration(median))"
    }

    /// The start of a history `text` reaches back to from `now`: `30d`, `12h` or `90m` ago, or an ISO 8601 time
    /// (`2026-11-01` or `2026-11-01T02:00:00Z`); nil for anything else.
    public static func since(_ text: String, now: Date = Date()) -> Date? {
        if let unit = text.last, let seconds = ["d": 86_400.0, "h": 3_600, "m": 60][unit], let count = Int(text.dropLast()), count >= 0 {
            return now.addingTimeInterval(-Double(count) * seconds)
        }
        if let time = try? Date(text, strategy: .iso8601) { return time }
        return try? Date(text + "T00:00:00Z", strategy: .iso8601)
    }

    /// `3 m 10 s`, `1 h 2 m`, `4.2 s`.
    public static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3_600 { return "\(whole / 60) m \(whole % 60) s" }
        return "\(whole / 3_600) h \(whole % 3_600 / 60) m"
    }
}
