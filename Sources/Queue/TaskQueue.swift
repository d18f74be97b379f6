import Foundation

/// The durable task queue behind planning and workers, in roles, so a caller names only what it needs. One set of
/// protocols so SQLite (one host) and PostgreSQL (many hosts) serve the same callers; `QueueLocation.open` makes one.
public typealias TaskQueue = TaskLeasing & RunPlanning & OperatorViews & FleetCoordination & CatalogStore & QueueStorage

/// What workers do with tasks: claim them under a lease, keep it, and end it. Every state change is guarded by
/// the lease (task, owner, fencing token): a stale worker can never overwrite a newer result.
public protocol TaskLeasing: Sendable {
    /// Claims up to `limit` due tasks for `worker` (of one run, or of any), after returning expired leases to
    /// the queue (or to the dead, when their attempts are used up). Sorted by task id.
    func claim(worker: String, limit: Int, run: RunID?) async throws -> [ClaimedTask]
    /// Extends `leases`; returns those that were lost (the task is someone else's now: stop working on it).
    func renew(_ leases: [Lease]) async throws -> [Lease]
    /// Marks tasks done with an optional result; returns the leases that were lost (their result was not stored).
    func complete(_ completions: [(lease: Lease, result: [UInt8]?)]) async throws -> [Lease]
    /// Records a failed attempt, with what it still did (`result`): retried after a backoff, or dead when
    /// `permanent` or out of attempts. Throws `leaseLost` when the lease is stale.
    func fail(_ lease: Lease, error: String, permanent: Bool, result: [UInt8]?) async throws
    /// Gives a task back without counting the attempt (the worker is shutting down).
    func release(_ leases: [Lease]) async throws
    /// Gives a task back to wait, without counting the attempt: claimable again at `until`, with `payload` (what is
    /// left of its work) and `result` (what it did so far, which the run's results include while it waits), waiting
    /// for `objects` objects (S3 retrieving them from an archive).
    func park(_ lease: Lease, until: Date, payload: [UInt8], result: [UInt8], waitingFor objects: Int) async throws
    /// Records a failure of one object inside a task, for `s3backup failed`, with the attempt it happened in.
    func recordFailure(_ lease: Lease, subject: String, error: String) async throws
    /// Adds S3 requests made for a run (by operation, every attempt) and the retries among them (and, of those, the
    /// throttled ones), counted as each task ends whatever its outcome; a run that is gone (pruned) is left alone.
    func addRequestCounts(run: RunID, _ counts: RequestCounts) async throws
    /// Completes one task and applies its changes to the catalog in the same transaction; false when the lease
    /// was lost (then nothing is written: the task's new holder writes its own).
    func complete(_ lease: Lease, result: [UInt8]?, catalog: CatalogChanges) async throws -> Bool
    /// Applies changes to the catalog while `lease` is held (a task that fails or parks keeps what it copied);
    /// throws `leaseLost` when it is not.
    func record(_ catalog: CatalogChanges, holding lease: Lease) async throws
}

/// What planners and runners do: start runs, enqueue their tasks under the planner's lease, follow them to the end.
public protocol RunPlanning: Sendable {
    /// Starts a run in state `planning`, with an id no earlier run of the queue had, pruned ones included.
    func createRun(kind: String, source: String, destination: String, parameters: String) async throws -> RunID
    /// Moves a run to `state`, noting why.
    func setRunState(_ run: RunID, _ state: RunState, note: String?) async throws
    /// Adds tasks to a run in one transaction; tasks whose unique key the run already has are skipped.
    /// Held tasks are not claimable until `completePlanning` releases them (the planner holds deletes until it
    /// knows the totals). Returns how many were new.
    @discardableResult
    func enqueue(_ tasks: [NewTask], run: RunID, held: Bool) async throws -> Int
    /// Removes the unclaimed tasks (held or ready) a unit of the run left, before the unit is planned again.
    func discardUnclaimed(run: RunID, unit: String) async throws
    /// The run's stored record.
    func run(_ id: RunID) async throws -> RunRecord
    /// The newest run of `kind` between these locations that is not finished or cancelled.
    func unfinishedRun(kind: String, source: String, destination: String) async throws -> RunID?
    /// Runs of `kind` between these locations created at or after `since`, oldest first, in any state (the
    /// delete cap over several nights reads what they deleted).
    func runs(kind: String, source: String, destination: String, createdSince since: Date) async throws -> [RunID]
    /// Takes (or renews) the planner's lease on a run for `owner`; false while another planner holds it, unless
    /// that planner is `replacing` (one the caller knows is dead).
    func acquirePlanner(run: RunID, owner: String, replacing: String?) async throws -> Bool
    /// Who holds the planner's lease on a run, if anyone.
    func planner(of run: RunID) async throws -> String?
    /// Ends planning in one transaction, only while `owner` still holds the planner's lease: releases the held
    /// tasks (or, with a `refusal`, removes them), notes the refusal, moves the run to `running`, frees the lease.
    /// False when the lease was lost: nothing changed.
    func completePlanning(run: RunID, owner: String, refusal: String?) async throws -> Bool
    /// Records the units (prefixes) a run's key space was split into, once: a resumed plan keeps the same split.
    func addUnits(run: RunID, units: [String]) async throws
    /// Records that a unit is fully planned, with the planner's findings (JSON).
    func finishUnit(run: RunID, unit: String, summary: String) async throws
    /// The run's units in the order they were added, with their findings (nil while still to plan).
    func units(run: RunID) async throws -> [(unit: String, summary: String?)]
    /// Tasks still to do (ready, held or running) of one run (or of all unfinished runs), plus 1 for each of
    /// those runs still planning: zero means a worker has nothing left to wait for.
    func outstanding(run: RunID?) async throws -> Int
    /// Marks `running` runs without ready or running tasks `finished` (dead tasks stay for `failed`/`retry`).
    func finishIdleRuns() async throws
    /// The results workers stored with the run's finished tasks (succeeded, or dead with what their last attempt
    /// still did), with when each finished, in that order.
    func results(run: RunID) async throws -> [(finishedAt: Date, result: [UInt8])]
}

/// What operators ask of a queue: runs and their progress, dead tasks, retry, cancel, prune.
public protocol OperatorViews: Sendable {
    /// Runs, newest first, with task counts, backlog age and throughput.
    func runs(limit: Int) async throws -> [RunSummary]
    /// Dead tasks of one run (or all), with the objects that failed in each, once per object.
    func deadTasks(run: RunID?) async throws -> [DeadTask]
    /// The tasks workers hold now (of one run, or of all), by worker and then the time each was claimed.
    func held(run: RunID?) async throws -> [HeldTask]
    /// The S3 requests made for a run, by operation (`ListObjectsV2`, `CopyObject`, …): every attempt, retries too.
    func requests(run: RunID) async throws -> [String: Int]
    /// Puts dead tasks back to ready with a fresh round of attempts: of one run, all runs, or the listed tasks.
    /// The attempts and failures of earlier rounds are kept (the run's retries and `failed` count them).
    /// Returns how many.
    func retry(run: RunID?, tasks: [TaskID]?) async throws -> Int
    /// Cancels a run still planning or running: removes its unclaimed tasks and marks it cancelled with `note`.
    /// Returns its earlier state and the tasks removed; a finished or cancelled run is left as it is.
    func cancel(run: RunID, note: String) async throws -> (previous: RunState, removedTasks: Int)
    /// Deletes finished and cancelled runs that ended before `cutoff`, with their tasks, then gives the space
    /// back and truncates the write-ahead log. Returns how many runs were removed.
    func prune(finishedBefore cutoff: Date) async throws -> Int
    /// The tasks of `run` (or of every run) parked to wait: how many, for how many objects, and the next due.
    func waiting(run: RunID?) async throws -> Waiting
}

/// What every process of a fleet shares beyond tasks: the backoff after S3 throttled one of them.
public protocol FleetCoordination: Sendable {
    /// The fleet's shared backoff as last raised; nil when S3 never throttled this queue's processes.
    func throttle() async throws -> FleetThrottle?
    /// Raises the fleet's backoff after a SlowDown (see `FleetThrottle.raised(at:)`); returns the new state.
    func raiseThrottle() async throws -> FleetThrottle
}

/// The catalog of copies: which backup object came from which source object, read by the planner.
public protocol CatalogStore: Sendable {
    /// Writes catalog rows outside any task (they replace the keys' earlier rows).
    func record(_ catalog: CatalogChanges) async throws
    /// Up to `limit` catalog rows of `pair` from `key` on, in key byte order.
    func catalog(pair: String, from key: String, limit: Int) async throws -> [CatalogEntry]
    /// Up to `limit` rows of `pair` after `key` (from the first when nil), in key byte order, whose backup version is
    /// locked until before `before` or not known to be locked at all: the locks a run extends.
    func locksDue(pair: String, before: Date, after key: String?, limit: Int) async throws -> [CatalogEntry]
    /// Up to `limit` delete markers s3backup placed in `pair`'s backup, after `marker` (from the first when nil), in
    /// key byte order and then by version id.
    func deleteMarkers(pair: String, after marker: (key: String, version: String)?, limit: Int) async throws
        -> [(key: String, version: String)]
    /// The moment this queue began recording the delete markers s3backup places: markers placed before may be ours.
    func deleteMarkersRecordedSince() async throws -> Date
}

/// Where a queue keeps its rows, for messages and for `prune`'s before and after.
public protocol QueueStorage: Sendable {
    /// The queue's location as a person may see it (a PostgreSQL password is never in it).
    var location: String { get }
    /// Bytes the queue takes on its disk or server now.
    func storedBytes() async throws -> Int64
}

extension CatalogStore {
    /// The catalog row of `key` of `pair` (byte for byte), if any.
    public func catalogEntry(pair: String, key: String) async throws -> CatalogEntry? {
        try await catalog(pair: pair, from: key, limit: 1).first { $0.key.utf8.elementsEqual(key.utf8) }
    }
}

extension TaskLeasing {
    /// Records a failed attempt that did nothing worth recording.
    public func fail(_ lease: Lease, error: String, permanent: Bool) async throws {
        try await fail(lease, error: error, permanent: permanent, result: nil)
    }

    /// Claims tasks of any run.
    public func claim(worker: String, limit: Int) async throws -> [ClaimedTask] {
        try await claim(worker: worker, limit: limit, run: nil)
    }

    /// Completes one task; throws `leaseLost` when the lease is stale.
    public func complete(_ lease: Lease, result: [UInt8]? = nil) async throws {
        if try await !complete([(lease, result)]).isEmpty { throw QueueError.lost(lease, path: "") }
    }
}

extension RunPlanning {
    /// Adds claimable tasks.
    @discardableResult
    public func enqueue(_ tasks: [NewTask], run: RunID) async throws -> Int {
        try await enqueue(tasks, run: run, held: false)
    }
}
