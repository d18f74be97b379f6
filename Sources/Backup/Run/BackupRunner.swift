import Foundation
import Queue
import S3

/// The nightly job: plan (or resume) a run, work it with local worker processes, report. Every copy is verified
/// as it is made (ETag, or size where ETags are not comparable), so a run whose tasks all succeeded left the
/// backup equal to the source as listed. Running it again after any interruption finishes the unfinished run
/// before starting a new one.
public struct BackupRunner: Sendable {
    /// How the runner works.
    public struct Options: Sendable {
        /// Worker processes.
        public var workers = max(2, ProcessInfo.processInfo.activeProcessorCount)
        /// Transfers per worker process.
        public var concurrency = Worker.Options.defaultConcurrency
        /// Task lease length.
        public var leaseSeconds = 60
        /// Finished runs older than this many days are pruned from the queue at the end.
        public var keepDays = 30
        /// Where the run's log file goes.
        public var logDirectory = ""
        /// Log files older than this many days are removed at the end.
        public var logRetentionDays = 30
        /// Whether a backup may go into a bucket without versioning (where an overwrite or delete loses the only copy).
        public var allowUnversioned = false
        /// Whether the runner waits for archived objects S3 is retrieving (minutes to 48 hours), or, once nothing
        /// but waiting is left, stops its workers and throws `RetrievalsPending` (`--no-wait`).
        public var waitForRetrievals = true
        /// The prices of the reports' cost estimates.
        public var prices = Prices.aws
        /// Whether the report's storage cost lists the destination's versions to count the noncurrent ones too.
        public var countVersions = false
        /// Where the run's progress gauges are written while it goes on (`--metrics-file`); nil for nowhere.
        public var metrics: (@Sendable (RunMetrics, [MetricSample]) -> Void)?
        /// How often they are.
        public var metricsInterval: Duration = .seconds(15)
        /// Hears a one-line progress summary twice a second while a run goes on (for a terminal); nil for none.
        public var progress: (@Sendable (String) -> Void)?
        /// Defaults.
        public init() {}
    }

    let queue: any TaskQueue
    let launcher: WorkerLauncher
    let options: Options
    let environment: [String: String]
    let owner: String
    /// Writes a line to the console and the run's log file.
    public let log: @Sendable (String) -> Void
    let runLog: RunLog
    let stopping = RunStop()

    /// A runner on `queue`, starting its workers with `launcher`; `log` is the console, and everything also goes to a
    /// new log file in `options.logDirectory`.
    public init(queue: any TaskQueue, launcher: WorkerLauncher, options: Options, environment: [String: String],
                owner: String, log console: @escaping @Sendable (String) -> Void) throws {
        self.queue = queue
        self.launcher = launcher
        self.options = options
        self.environment = environment
        self.owner = owner
        let runLog = try RunLog.create(in: options.logDirectory)
        self.runLog = runLog
        log = { line in
            console(line)
            runLog.line(line)
        }
    }

    /// The log file this runner writes.
    public var logFile: String { runLog.path }

    /// Writes a line to the run's log file only (what the console already shows another way, such as an error).
    public func record(_ line: String) { runLog.line(line) }

    /// Stops the runner (SIGTERM, SIGINT): the workers finish what they hold and give the rest back, planning ends,
    /// and `execute` throws `RunStopped` with how far the run got. Safe to call from any thread, more than once.
    public func stop() { stopping.request() }

    /// Checks `parameters` (nothing is created for a mistake), finishes an unfinished run between the same
    /// locations (if any), then does a new run. Returns the reports, oldest first.
    public func execute(_ asked: RunParameters) async throws -> [BackupReport] {
        let (parameters, warnings) = try await asked.prepared(environment: environment, allowUnversioned: options.allowUnversioned)
        warnings.forEach(log)
        var reports: [BackupReport] = []
        let runs = RunOpening(queue: queue, parameters: parameters)
        if let unfinished = try await runs.unfinished() {
            log("run \(unfinished) between these buckets is unfinished: finishing it first")
            reports.append(try await work(run: unfinished, resumed: true))
        }
        reports.append(try await work(run: try await runs.new(), resumed: false))
        _ = try await queue.prune(finishedBefore: Date().addingTimeInterval(-Double(options.keepDays) * 86_400))
        for report in reports { report.text.split(separator: "\n").forEach { runLog.line(String($0)) } }
        let retention = LogRetention(days: options.logRetentionDays).removeExpired(in: options.logDirectory, sparing: runLog.path)
        for name in retention.removed { runLog.line("removed the old log \(name)") }
        for problem in retention.problems { log(problem) }
        return reports
    }

    /// Plans what is left of `run` while workers already copy, waits for the workers, verifies.
    private func work(run: RunID, resumed: Bool) async throws -> BackupReport {
        let record = try await queue.run(run)
        let requests = RunRequestCounter(pacer: FleetPacer(queue: queue, log: log))
        var planner = try Planner(parameters: try RunParameters.stored(in: record), environment: environment, observer: requests)
        planner.catalog = queue
        // Workers start with the first queued copy, so copying overlaps planning; a run with nothing to do
        // starts none.
        let assignment = WorkerAssignment(run: run, concurrency: options.concurrency, leaseSeconds: options.leaseSeconds,
                                          logFile: runLog.path, parent: getpid())
        let pool = WorkerProcesses(launcher: launcher, assignment: assignment, count: options.workers, environment: environment)
        defer { pool.stop() }
        stopping.watch(pool)

        let watcher = options.progress.map { show in
            Task { [queue] in
                let began = ContinuousClock.now
                while !Task.isCancelled {
                    if let line = try? await BackupRunner.progressLine(queue: queue, run: run, since: began) { show(line) }
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
        }
        defer { watcher?.cancel() }
        let gauges = options.metrics.map { publish in
            Task { [queue, options] in
                let metrics = RunMetrics(kind: record.kind, from: record.source, to: record.destination)
                while !Task.isCancelled {
                    // A look that was under way when the run ended must not overwrite its end.
                    if let progress = try? await RunProgress.of(run, in: queue, counting: true), !Task.isCancelled {
                        publish(metrics, metrics.progress(start: progress.createdAt, plannedUnits: progress.plannedUnits, units: progress.units,
                                                          tasks: progress.byState, objectsPerSecond: progress.objectsPerSecond(now: Date())))
                    }
                    try? await Task.sleep(for: options.metricsInterval)
                }
            }
        }
        defer { gauges?.cancel() }

        var refusal = record.note
        var findings = PlanFindings()
        if record.state == .planning {
            let planning = BackupPlanning(planner: planner, queue: queue, run: run, owner: owner,
                                          leaseRenewal: .seconds(Double(options.leaseSeconds) / 3), requests: requests, log: log,
                                          onCopies: { [log] in pool.start(log: log) })
            let outcome: PlanOutcome
            do {
                outcome = try await planning.execute(stopping: { [stopping] in stopping.requested })
            } catch {
                try? await requests.record(run: run, in: queue) // the requests of the unit planning stopped in
                try await stopped(run, pool: pool) // a stop ends planning early: that is the stop, not a failure
                // A run that failed before its key space was even split planned nothing: it is cancelled, so the
                // next night does not "finish" it by listing both buckets once more before its own run. Best effort,
                // and not tried when the queue itself failed (it would only wait out the busy timeout again): the
                // error that ended planning is the one to tell.
                if !(error is QueueError), (try? await queue.units(run: run))?.isEmpty == true {
                    _ = try? await queue.cancel(run: run, note: "planning failed before anything was listed: \(error)")
                }
                throw error
            }
            refusal = outcome.deletesRefused
            findings = outcome.findings
        } else {
            for unit in try await queue.units(run: run) {
                if let summary = unit.summary { findings.add(try Payload.decode(PlanFindings.self, Array(summary.utf8))) }
            }
        }
        log("run \(run) planned: \(findings.missing + findings.changed) to copy, \(findings.extra) to delete")
        if try await queue.outstanding(run: run) > 0 { pool.start(log: log) }
        // Only a run that retrieves has tasks that wait for S3.
        let retrievals = planner.parameters.retrieval.map { watchRetrievals(of: run, tier: $0.tier, pool: pool) }
        defer { retrievals?.watch.cancel() }
        try await pool.waitUntilDone(queue: queue, log: log, stopping: { [stopping] in
            stopping.requested || retrievals?.left.value == true
        })
        try await stopped(run, pool: pool)
        if let retrievals, retrievals.left.value {
            throw RetrievalsPending(unfinished: UnfinishedRun(record), waiting: try await queue.waiting(run: run), tier: retrievals.tier)
        }
        // A run whose workers gave up keeps its state, so the next command finishes it.
        if try await queue.outstanding(run: run) == 0 { try await queue.setRunState(run, .finished, note: refusal) }

        var report = try await BackupReport.load(queue: queue, run: run, resumed: resumed, prices: options.prices)
        if options.countVersions { await report.countVersions(with: planner, prices: options.prices, log: log) }
        // The trend is a courtesy: a run that did its work does not fail on reading the nights before it.
        do { try await report.addTrend(from: queue) } catch { log("run \(run): the trend of the last 7 days could not be read: \(error)") }
        return report
    }
}

extension BackupRunner {
    /// Throws `RunStopped` when stopping was asked, once `pool`'s workers have finished what they held (a second
    /// signal exits at once), with how far `run` got.
    private func stopped(_ run: RunID, pool: WorkerProcesses) async throws {
        guard stopping.requested else { return }
        try await pool.exited()
        let record = try await queue.run(run)
        let progress = try await RunProgress.of(run, in: queue)
        throw RunStopped(unfinished: UnfinishedRun(record),
                         progress: "\(progress.plannedUnits) of \(progress.units) prefixes planned, \(progress.doneTasks) of "
                             + "\(progress.tasks) tasks done")
    }

    /// Watches `run`'s tasks that wait for archived objects: says how many objects wait whenever that changes (and
    /// every 10 minutes while they do), and, when the runner does not wait, stops `pool` once nothing else is left
    /// (`left` then says so).
    private func watchRetrievals(of run: RunID, tier: RetrievalTier, pool: WorkerProcesses)
        -> (watch: Task<Void, Never>, left: LockedBox<Bool>, tier: RetrievalTier) {
        let left = LockedBox(false)
        let watch = Task { [queue, log, options] in
            var told = Waiting(), toldAt = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                guard let waiting = try? await queue.waiting(run: run) else { continue }
                if waiting.objects != told.objects || (waiting.objects > 0 && ContinuousClock.now - toldAt > .seconds(600)) {
                    if waiting.objects > 0, let next = waiting.nextCheck {
                        log("run \(run): waiting for \(waiting.objects) archived object(s) that S3 is retrieving "
                            + "(\(RetrievalPrices.typicalTimes(tier))); next check at \(S3Time.string(next))")
                    }
                    (told, toldAt) = (waiting, ContinuousClock.now)
                }
                // Nothing but waiting left: every outstanding task is parked (a planning run counts as outstanding too),
                // and none is due for its check (one that is gets checked first).
                if !options.waitForRetrievals, waiting.tasks > 0, let next = waiting.nextCheck, next > Date(),
                   (try? await queue.outstanding(run: run)) == waiting.tasks {
                    left.mutate { $0 = true }
                    pool.stop()
                    return
                }
            }
        }
        return (watch, left, tier)
    }

    /// `planning 12/40 prefixes · copying 30/120 tasks (25 %) · 3.1 tasks/s · ETA 29 s`.
    static func progressLine(queue: any TaskQueue, run: RunID, since began: ContinuousClock.Instant) async throws -> String {
        let progress = try await RunProgress.of(run, in: queue)
        let (planned, units, done, total) = (progress.plannedUnits, progress.units, progress.doneTasks, progress.tasks)
        let seconds = (ContinuousClock.now - began).seconds
        var parts: [String] = []
        if planned < units || units == 0 { parts.append("listing \(planned)/\(units) prefixes") }
        if total > 0 {
            parts.append("tasks \(done)/\(total) (\(done * 100 / total) %)")
            let rate = Double(done) / max(seconds, 0.001)
            parts.append(String(format: "%.1f tasks/s", rate))
            if rate > 0, planned == units { parts.append(String(format: "ETA %.0f s", Double(total - done) / rate)) }
        }
        return "run \(run): " + (parts.isEmpty ? "starting" : parts.joined(separator: " · "))
    }
}

/// How far a run got: its units planned, its tasks by state and done (succeeded or dead), and, when counted, the
/// objects and bytes its finished tasks moved.
public struct RunProgress: Sendable {
    /// Units planned, and in all.
    public var plannedUnits = 0, units = 0
    /// Tasks done (succeeded or dead), and in all.
    public var doneTasks = 0, tasks = 0
    /// Tasks by state.
    public var byState: [String: Int] = [:]
    /// When the run was created.
    public var createdAt = Date()
    /// Objects copied or deleted and bytes copied by its finished tasks (0 unless counted).
    public var objects = 0, bytes: Int64 = 0

    /// Objects per second since the run was created, until `now`.
    public func objectsPerSecond(now: Date) -> Double { Double(objects) / max(now.timeIntervalSince(createdAt), 0.001) }

    /// `run`'s progress as the queue has it; `counting` reads every finished task's result for the objects and bytes.
    public static func of(_ run: RunID, in queue: any TaskQueue, counting: Bool = false) async throws -> RunProgress {
        let units = try await queue.units(run: run)
        let summary = try await queue.runs(limit: 1_000).first { $0.id == run }
        let tasks = summary?.tasks ?? [:]
        var progress = RunProgress(plannedUnits: units.filter { $0.summary != nil }.count, units: units.count,
                                   doneTasks: (tasks["succeeded"] ?? 0) + (tasks["dead"] ?? 0), tasks: tasks.values.reduce(0, +),
                                   byState: tasks, createdAt: summary?.createdAt ?? Date())
        if counting {
            for (_, result) in try await queue.results(run: run) {
                let outcome = try Payload.decode(TaskOutcome.self, result)
                progress.objects += outcome.copied + outcome.deleted
                progress.bytes += outcome.copiedBytes
            }
        }
        return progress
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
