import Foundation
import Queue
import S3

/// What planning a run concluded.
public struct PlanOutcome: Sendable {
    /// Totals over all units.
    public var findings: PlanFindings
    /// Why deletes were not allowed, when they were not.
    public var deletesRefused: String?
}

/// Plans a run into the queue, resumably: the unit split is stored once, finished units are skipped on resume,
/// a planner's lease keeps a second planner out, and deletes wait for the totals.
public struct BackupPlanning: Sendable {
    let planner: Planner
    let queue: any TaskQueue
    let run: RunID
    let owner: String
    let leaseRenewal: Duration
    let onCopies: @Sendable () -> Void
    let log: @Sendable (String) -> Void
    /// Counts the planner's requests, added to the run after discovery and each unit; nil when nobody counts.
    var requests: RunRequestCounter?

    /// Planning of `run` by `owner` (host and pid); the planner lease (as long as a task lease) is renewed every
    /// `leaseRenewal`, a third of it; `onCopies` hears of every batch of copies queued.
    /// `requests`, when given, counts the planner's clients' requests (it is their observer), added to the run as
    /// planning goes.
    public init(planner: Planner, queue: any TaskQueue, run: RunID, owner: String, leaseRenewal: Duration,
                requests: RunRequestCounter? = nil, log: @escaping @Sendable (String) -> Void,
                onCopies: @escaping @Sendable () -> Void = {}) {
        self.requests = requests
        self.planner = planner
        self.queue = queue
        self.run = run
        self.owner = owner
        self.leaseRenewal = leaseRenewal
        self.log = log
        self.onCopies = onCopies
    }

    /// Plans whatever is left of the run, then decides on deletes and marks the run `running`. Stops as soon as
    /// the planner's lease is lost (another planner took the run over), or before the next unit once `stopping`
    /// says so (throwing `CancellationError`), leaving deletes held.
    public func execute(stopping: @escaping @Sendable () -> Bool = { false }) async throws -> PlanOutcome {
        let holder = try await queue.planner(of: run)
        guard try await queue.acquirePlanner(run: run, owner: owner, replacing: holder.flatMap(ProcessIdentity.deadLocalProcess))
        else { throw BackupError.plannerBusy(run: run, holder: holder ?? "another process") }
        let lost = LockedBox(false)
        let heartbeat = Task { [queue, run, owner, leaseRenewal, log] in
            while !Task.isCancelled {
                try await Task.sleep(for: leaseRenewal)
                do {
                    if try await !queue.acquirePlanner(run: run, owner: owner, replacing: nil) { lost.mutate { $0 = true } }
                } catch {
                    log("renewing the planner's lease of run \(run) failed (\(error)); trying again")
                }
            }
        }
        defer { heartbeat.cancel() }
        @Sendable func checkLease() throws {
            if lost.value { throw BackupError.plannerBusy(run: run, holder: "another planner (this one's lease expired)") }
        }

        var sourcePages: [[ListedObject]]?
        if try await queue.units(run: run).isEmpty {
            let discovery = try await planner.discover()
            try await queue.addUnits(run: run, units: discovery.units.map(\.description))
            sourcePages = discovery.sourcePages
            await recordRequests()
        }
        let pending = try await queue.units(run: run).filter { $0.summary == nil }.compactMap { Unit($0.unit) }
        let sink = QueueSink(queue: queue, run: run, onCopies: onCopies)
        try await forEachConcurrently(pending, width: planner.width) { [planner, queue, run, sourcePages] unit in
            try checkLease()
            if stopping() { throw CancellationError() }
            // A unit planned before a crash may have left tasks: unclaimed ones go, so no stale delete survives.
            try await queue.discardUnclaimed(run: run, unit: unit.description)
            let findings = try await planner.plan(unit, into: sink, sourcePages: sourcePages)
            try await queue.finishUnit(run: run, unit: unit.description, summary: try Payload.json(findings))
            await recordRequests()
        }

        if stopping() { throw CancellationError() }
        var findings = PlanFindings()
        for unit in try await queue.units(run: run) {
            guard let summary = unit.summary else { throw BackupError.incompletePlan(run: run, unit: unit.unit) }
            findings.add(try Payload.decode(PlanFindings.self, Array(summary.utf8)))
        }
        let parameters = planner.parameters
        var refusal = BackupPlanning.deleteRefusal(findings, cap: parameters.maxDelete, mirror: parameters.mirrorDeletes)
        if refusal == nil, parameters.mirrorDeletes, findings.extra > 0, let window = parameters.deleteWindow {
            let earlier = try await deletedInWindow(window, now: Date())
            refusal = BackupPlanning.windowRefusal(findings, earlierDeletes: earlier, window: window)
        }
        if let lock = parameters.lock, parameters.kind == "backup" {
            try checkLease()
            try await enqueueExtensions(lock, pair: parameters.pair, now: Date())
        }
        try checkLease()
        guard try await queue.completePlanning(run: run, owner: owner, refusal: refusal) else {
            throw BackupError.plannerBusy(run: run, holder: "another planner (this one's lease expired)")
        }
        return PlanOutcome(findings: findings, deletesRefused: refusal)
    }

    /// Versions an `extend` task takes at most.
    static let lockBatch = 1_000

    /// Enqueues `extend` tasks for the catalog's backup versions whose lock would fall short of `lock.days` ahead
    /// before a run a day later (or is not known): a batch per 1,000, ready at once. A version the plan also copies
    /// anew is extended too, harmlessly (it becomes a noncurrent version, kept as long as it was locked).
    func enqueueExtensions(_ lock: LockPolicy, pair: String, now: Date) async throws {
        let before = lock.extensionDue(at: now)
        var after: String?
        while true {
            let due = try await queue.locksDue(pair: pair, before: before, after: after, limit: Self.lockBatch)
            guard let last = due.last else { return }
            let batch = LockBatch(versions: due.map { .init(key: $0.key, backupVersion: $0.backupVersion) })
            let task = NewTask(kind: TaskKind.extend, uniqueKey: Payload.uniqueKey(kind: TaskKind.extend, unit: "", keys: due.map(\.key)),
                               payload: try Payload.encode(batch))
            try await queue.enqueue([task], run: run, held: false)
            onCopies()
            if due.count < Self.lockBatch { return }
            after = last.key
        }
    }

    /// Why the planned deletes must not happen, or nil when they may: a source that listed empty never deletes
    /// (an emptied primary must not empty the backup), and the cap bounds the rest.
    public static func deleteRefusal(_ findings: PlanFindings, cap: DeleteCap, mirror: Bool = true) -> String? {
        guard mirror, findings.extra > 0 else { return nil }
        if findings.sourceObjects == 0 {
            return "deletes refused: the source lists no objects, so none of the backup's \(findings.extra) objects "
                + "were deleted (an emptied or unreachable primary must not empty the backup)"
        }
        if !cap.allows(findings.extra, of: findings.backupObjects) {
            return "deletes refused: \(findings.extra) of the backup's \(findings.backupObjects) objects would be deleted, "
                + "over the cap --max-delete \(cap); nothing was deleted (raise --max-delete if this is intended)"
        }
        return nil
    }
}

extension BackupPlanning {
    /// Adds the planner's requests so far to the run; what fails to be added waits for the next time (a request count
    /// is no reason to stop planning).
    func recordRequests() async {
        do { try await requests?.record(run: run, in: queue) } catch {
            log("recording run \(run)'s planning requests failed (\(error)); trying again after the next prefix")
        }
    }

    /// Objects the earlier runs between the same locations deleted from the backup in the window before `now`.
    func deletedInWindow(_ window: DeleteWindow, now: Date) async throws -> Int {
        let parameters = planner.parameters
        let earlier = try await queue.runs(kind: parameters.kind, source: parameters.source.url, destination: parameters.backup.url,
                                           createdSince: now.addingTimeInterval(-Double(window.days) * 86_400))
        var deleted = 0
        for other in earlier where other != run {
            for (_, result) in try await queue.results(run: other) {
                deleted += try Payload.decode(TaskOutcome.self, result).deleted
            }
        }
        return deleted
    }

    /// Why this run's deletes must not happen although the nightly cap allows them, or nil: with the
    /// `earlierDeletes` of the window's runs they would be over the window's cap, measured against the backup as it
    /// was when the window began (what it holds now plus what the window deleted).
    public static func windowRefusal(_ findings: PlanFindings, earlierDeletes: Int, window: DeleteWindow) -> String? {
        let total = earlierDeletes + findings.extra, held = findings.backupObjects + earlierDeletes
        guard !window.cap.allows(total, of: held) else { return nil }
        return "deletes refused: \(earlierDeletes) objects deleted from the backup in the last \(window.days) days and "
            + "\(findings.extra) now would make \(total) of the \(held) it held then, over the cap --max-delete-window "
            + "\(window.cap); nothing was deleted (find out why the primary keeps losing objects, or raise "
            + "--max-delete-window if this is intended)"
    }
}

extension Payload {
    /// JSON text of a value, for the queue's text columns.
    static func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encode(value), as: UTF8.self) }
}
