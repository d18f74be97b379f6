import Foundation

/// The `s3backup_*` metrics of one pair of locations and kind of run (`backup`, `restore`, `verify`): what the last
/// run did, and while one goes on, how far it is. Every sample carries the labels `kind`, `source` (the primary) and
/// `backup`, so a restore is told apart from the night's backup of the same pair and dashboards can join them.
public struct RunMetrics: Sendable {
    /// The labels every sample of this pair and kind carries.
    public let labels: [(name: String, value: String)]

    /// Metrics of `kind` between the primary `source` and the backup `backup` (`s3://…`, as the run names them).
    public init(kind: String, source: String, backup: String) {
        labels = [("kind", kind), ("source", source), ("backup", backup)]
    }

    /// The labels of a run of `kind` from `from` to `to`: a restore's are its destination (the primary) and its source
    /// (the backup).
    public init(kind: String, from: String, to: String) {
        self.init(kind: kind, source: kind == "restore" ? to : from, backup: kind == "restore" ? from : to)
    }

    /// The labels of a report's run.
    public init(_ report: BackupReport) { self.init(kind: report.kind, from: report.source, to: report.backup) }

    /// The families written, in order: name, type, help.
    static let families: [(name: String, type: String, help: String)] = [
        ("s3backup_last_run_timestamp_seconds", "gauge", "When the last run ended (Unix time)."),
        ("s3backup_last_success_timestamp_seconds", "gauge", "When the last run that succeeded (exit status 0) ended (Unix time)."),
        ("s3backup_last_run_duration_seconds", "gauge", "How long the last run took."),
        ("s3backup_last_run_exit_status", "gauge", "The last run's exit status (0 success; s3backup --help lists the others)."),
        ("s3backup_last_run_success", "gauge", "1 when the last run succeeded, else 0."),
        ("s3backup_last_run_listed_objects", "gauge", "Objects the last run listed, by side."),
        ("s3backup_last_run_listed_bytes", "gauge", "Bytes the last run listed, by side."),
        ("s3backup_last_run_objects", "gauge", "Objects the last run copied, skipped (unchanged), deleted, or failed to copy."),
        ("s3backup_last_run_bytes", "gauge", "Bytes the last run copied or skipped (unchanged)."),
        ("s3backup_last_run_retries", "gauge", "Retries the last run took: of tasks, and of S3 requests."),
        ("s3backup_last_run_throttled_requests", "gauge", "S3 requests of the last run that S3 throttled (SlowDown)."),
        ("s3backup_last_run_requests", "gauge", "S3 requests the last run sent, by how S3 bills them."),
        ("s3backup_last_run_cost_dollars", "gauge", "What the last run cost, estimated at list prices (US dollars)."),
        ("s3backup_storage_monthly_dollars", "gauge", "What the destination costs to keep per month, estimated at list prices (US dollars)."),
        ("s3backup_drill_mismatches", "gauge", "Differences the last recovery drill found (listing and sampled bodies)."),
        ("s3backup_drill_sampled_objects", "gauge", "Objects whose bodies the last recovery drill compared."),
        ("s3backup_run_in_progress", "gauge", "1 while a run goes on, else 0."),
        ("s3backup_run_started_timestamp_seconds", "gauge", "When the run going on began (Unix time)."),
        ("s3backup_run_units", "gauge", "Prefixes of the run going on: planned, and in all."),
        ("s3backup_run_tasks", "gauge", "Tasks of the run going on, by state."),
        ("s3backup_run_objects_per_second", "gauge", "Objects the run going on copied or deleted per second, on average so far."),
    ]

    private func sample(_ name: String, _ extra: [(name: String, value: String)] = [], _ value: Double) -> MetricSample {
        MetricSample(name, labels + extra, value)
    }

    /// The end of a run whose report there is, with the command's exit status.
    public func finished(_ report: BackupReport, status: Int32, at end: Date) -> [MetricSample] {
        let plan = report.plan, work = report.work
        let failed = report.failures.reduce(0) { $0 + max($1.failures.count, 1) } + work.archivedNotCopied.count
            + work.customerKeyNotCopied.count
        var samples = ended(status: status, seconds: report.seconds, at: end) + [
            sample("s3backup_last_run_listed_objects", [("side", "source")], Double(plan.sourceObjects)),
            sample("s3backup_last_run_listed_objects", [("side", "destination")], Double(plan.backupObjects)),
            sample("s3backup_last_run_listed_bytes", [("side", "source")], Double(plan.sourceBytes)),
            sample("s3backup_last_run_listed_bytes", [("side", "destination")], Double(plan.backupBytes)),
            sample("s3backup_last_run_objects", [("action", "copied")], Double(work.copied)),
            sample("s3backup_last_run_objects", [("action", "skipped")], Double(plan.same)),
            sample("s3backup_last_run_objects", [("action", "deleted")], Double(work.deleted)),
            sample("s3backup_last_run_objects", [("action", "failed")], Double(failed)),
            sample("s3backup_last_run_bytes", [("action", "copied")], Double(work.copiedBytes)),
            sample("s3backup_last_run_bytes", [("action", "skipped")], Double(plan.sourceBytes - plan.copyBytes)),
            sample("s3backup_last_run_retries", [("of", "tasks")], Double(report.retries)),
            sample("s3backup_last_run_retries", [("of", "requests")], Double(work.requestRetries)),
            sample("s3backup_last_run_throttled_requests", [], Double(work.throttled)),
        ]
        if let cost = report.cost {
            samples += cost.requests.map { sample("s3backup_last_run_requests", [("billed_as", $0.kind.rawValue)], Double($0.count)) }
            samples.append(sample("s3backup_last_run_cost_dollars", [], cost.runDollars))
            samples.append(sample("s3backup_storage_monthly_dollars", [], cost.monthlyDollars))
        }
        return samples
    }

    /// The end of a recovery drill.
    public func drilled(mismatches: Int, sampled: Int, status: Int32, seconds: Double, at end: Date) -> [MetricSample] {
        ended(status: status, seconds: seconds, at: end) + [
            sample("s3backup_drill_mismatches", [], Double(mismatches)),
            sample("s3backup_drill_sampled_objects", [], Double(sampled)),
        ]
    }

    /// The end of a run that failed before it had a report (or a drill that could not compare): when, how long,
    /// the status. The previous run's numbers are not repeated as this one's.
    public func ended(status: Int32, seconds: Double, at end: Date) -> [MetricSample] {
        var samples = [
            sample("s3backup_last_run_timestamp_seconds", [], end.timeIntervalSince1970.rounded()),
            sample("s3backup_last_run_duration_seconds", [], (seconds * 1_000).rounded() / 1_000),
            sample("s3backup_last_run_exit_status", [], Double(status)),
            sample("s3backup_last_run_success", [], status == 0 ? 1 : 0),
            sample("s3backup_run_in_progress", [], 0),
        ]
        if status == 0 { samples.append(sample("s3backup_last_success_timestamp_seconds", [], end.timeIntervalSince1970.rounded())) }
        return samples
    }

    /// A run going on: begun at `start`, with its units planned of all, its tasks by state, and its rate so far.
    public func progress(start: Date, plannedUnits: Int, units: Int, tasks: [String: Int], objectsPerSecond: Double) -> [MetricSample] {
        [
            sample("s3backup_run_in_progress", [], 1),
            sample("s3backup_run_started_timestamp_seconds", [], start.timeIntervalSince1970.rounded()),
            sample("s3backup_run_units", [("state", "planned")], Double(plannedUnits)),
            sample("s3backup_run_units", [("state", "all")], Double(units)),
        ] + tasks.sorted { $0.key < $1.key }.map { sample("s3backup_run_tasks", [("state", $0.key)], Double($0.value)) }
            + [sample("s3backup_run_objects_per_second", [], (objectsPerSecond * 1_000).rounded() / 1_000)]
    }

    /// Whether `sample` is of this pair and kind.
    func owns(_ sample: MetricSample) -> Bool { labels.allSatisfy { sample.label($0.name) == $0.value } }
}
