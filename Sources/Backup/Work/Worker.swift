import Foundation
import Queue
import S3
import Synchronization

/// Asks a worker to stop claiming (the first SIGTERM/SIGINT); what it holds is finished.
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    /// Not yet asked.
    public init() {}
    /// Asks the worker to stop.
    public func request() { flag.store(true, ordering: .relaxed) }
    /// Whether stopping was asked.
    public var requested: Bool { flag.load(ordering: .relaxed) }
}

/// Claims tasks of any run and does them: copies verified object by object, deletes in DeleteObjects batches,
/// leases renewed while work goes on, failures recorded per object.
public final class Worker: Sendable {
    /// How a worker behaves.
    public struct Options: Sendable {
        /// Objects transferred at once by this process. 16: with a run's two workers, 32 requests in flight, which
        /// a server that serves in parallel needs to be kept busy (measured on Ceph's RGW: 16 in flight left it at
        /// 1.1 cores and took 10.4 s for 3,000 copies, 32 took 6.3–6.9 s); an emulator that serves one request at
        /// a time is no slower for it.
        public static let defaultConcurrency = 16
        /// Objects transferred at once by this process.
        public var concurrency = Options.defaultConcurrency
        /// Exit when nothing is left to do (no ready, held or running task, no run planning).
        public var untilIdle = false
        /// Only this run's tasks; nil for any run's.
        public var run: RunID?
        /// How long to wait between claims when nothing is ready.
        public var pollInterval: Duration = .milliseconds(250)
        /// How often held leases are renewed; a third of the lease.
        public var heartbeat: Duration = .seconds(20)
        /// How long after a task's archived objects were asked for (or last checked) they are first checked; the wait
        /// doubles with each check, up to 30 minutes (S3BACKUP_RETRIEVAL_CHECK_SECONDS; default 60).
        public var retrievalCheck: Duration = .seconds(60)
        /// Defaults.
        public init() {}

        /// The first wait for archived objects as `environment` sets it (S3BACKUP_RETRIEVAL_CHECK_SECONDS, whole
        /// seconds, at least 1), else the default.
        public static func retrievalCheck(environment: [String: String]) throws -> Duration {
            guard let text = environment["S3BACKUP_RETRIEVAL_CHECK_SECONDS"], !text.isEmpty else { return Options().retrievalCheck }
            guard let seconds = Int(text), seconds >= 1 else {
                throw S3Error(.configuration, "S3BACKUP_RETRIEVAL_CHECK_SECONDS \(text.debugDescription) must be a whole number "
                                + "of seconds, at least 1 (how long after asking for archived objects they are first checked)")
            }
            return .seconds(seconds)
        }
    }

    let queue: any TaskQueue
    let id: String
    let options: Options
    let environment: [String: String]
    let stop: StopFlag
    let log: @Sendable (String) -> Void
    let changes: @Sendable (String) -> Void
    private let contexts = LockedBox<[RunID: RunContext]>([:])
    private let held = LockedBox<Set<Lease>>([])
    private let total = LockedBox(TaskOutcome())
    /// Paces this process's requests with the fleet.
    let pacer: FleetPacer
    /// The stores of a run's two sides, and whether S3 can copy between them server-side.
    let stores: RunContext.Stores

    /// A worker named `id` (host and pid) on `queue`; S3 settings come from each run and `environment`. `log`
    /// hears what goes wrong, `changes` every object copied to or deleted from a backup.
    public convenience init(queue: any TaskQueue, id: String, options: Options, environment: [String: String], stop: StopFlag,
                            log: @escaping @Sendable (String) -> Void, changes: @escaping @Sendable (String) -> Void = { _ in }) {
        self.init(queue: queue, id: id, options: options, environment: environment, stop: stop, log: log, changes: changes,
                  stores: RunContext.clients(environment: environment))
    }

    /// A worker whose runs reach their sides through `stores` (tests: in-memory stores).
    init(queue: any TaskQueue, id: String, options: Options, environment: [String: String], stop: StopFlag,
         log: @escaping @Sendable (String) -> Void, changes: @escaping @Sendable (String) -> Void, stores: @escaping RunContext.Stores) {
        self.queue = queue
        self.id = id
        self.options = options
        self.environment = environment
        self.stop = stop
        self.log = log
        self.changes = changes
        self.stores = stores
        pacer = FleetPacer(queue: queue, log: log)
    }

    /// Works until stopped (or, with `untilIdle`, until nothing is left); returns what this process did.
    public func run() async throws -> TaskOutcome {
        let heartbeat = Task { [self] in
            while !Task.isCancelled {
                try await Task.sleep(for: options.heartbeat)
                do {
                    for lost in try await queue.renew(Array(held.value)) {
                        log("lease of task \(lost.task) lost: another worker took it over; this worker's result will be refused")
                    }
                } catch {
                    log("renewing leases failed (\(error)); trying again at the next beat")
                }
            }
        }
        let lanes = Lanes(count: options.concurrency), idle = IdleGate()
        defer {
            heartbeat.cancel()
            lanes.close()
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<options.concurrency { group.addTask { try await self.slot(lanes, idle) } }
                try await group.waitForAll()
            }
        } catch {
            await recordRequests(ofRuns: Array(contexts.value.keys))
            throw error
        }
        // Counts a failed write gave back are tried once more.
        await recordRequests(ofRuns: Array(contexts.value.keys))
        return total.value
    }

    /// One claim loop: a task at a time, its objects sharing the process's lanes.
    private func slot(_ lanes: Lanes, _ idle: IdleGate) async throws {
        while let task = try await nextTask(idle) {
            held.mutate { _ = $0.insert(task.lease) }
            defer {
                held.mutate { _ = $0.remove(task.lease) }
                idle.wake()
            }
            let done: Result<Done, any Error>
            do { done = .success(try await execute(task, on: lanes)) } catch { done = .failure(error) }
            // Whatever the outcome: a failed attempt's request retries happened as much as a completed one's.
            await recordRequests(ofRuns: [task.run])
            do {
                let (outcome, catalog) = try done.get()
                if try await !queue.complete(task.lease, result: try Payload.encode(outcome), catalog: catalog) {
                    log("task \(task.lease.task): finished, but its lease had passed to another worker; that worker's result stands")
                } else {
                    total.mutate { $0.add(outcome) }
                }
            } catch let failure as TaskFailure {
                try await record(failure, of: task)
            } catch let parked as TaskParked {
                try await park(task, parked)
            } catch let error as QueueError {
                throw error
            } catch {
                try await record(TaskFailure(message: "\(error)", permanent: false), of: task)
            }
        }
    }

    /// Adds the requests this process's clients made for `runs` since the last time to those runs in the queue.
    /// Counts a write fails to add are kept for the next time.
    private func recordRequests(ofRuns runs: [RunID]) async {
        for run in runs {
            guard let counter = contexts.value[run]?.requests else { continue }
            do {
                try await counter.record(run: run, in: queue)
            } catch {
                log("recording run \(run)'s S3 requests failed (\(error)); trying again when its next task ends")
            }
        }
    }

    /// The next task for a slot; nil when stopping or, with `untilIdle`, when nothing is left. While there is
    /// nothing to claim, one slot asks every poll interval and the others wait for it (`IdleGate`).
    private func nextTask(_ idle: IdleGate) async throws -> ClaimedTask? {
        var finishedIdleRuns = false, probing = false
        defer { if probing { idle.leave() } }
        while !stop.requested {
            try Task.checkCancellation()
            if let task = try await queue.claim(worker: id, limit: 1, run: options.run).first { return task }
            // Once per idle spell: runs with nothing left become finished (workers under systemd have no runner).
            if !finishedIdleRuns { try await queue.finishIdleRuns() }
            finishedIdleRuns = true
            if options.untilIdle, try await queue.outstanding(run: options.run) == 0 { return nil }
            // A slot that waited for the prober asks at once; the prober asks again after the poll interval.
            if !probing {
                probing = await idle.enter()
                if !probing { continue }
            }
            await idle.nap(options.pollInterval)
        }
        return nil
    }

    /// Parks `task` until its next check: the objects it waits for are being retrieved. What it copied so far is
    /// in the catalog first.
    private func park(_ task: ClaimedTask, _ parked: TaskParked) async throws {
        let due = Date().addingTimeInterval(parked.after.seconds)
        do {
            try await queue.record(parked.catalog, holding: task.lease)
            try await queue.park(task.lease, until: due, payload: parked.payload, result: parked.result, waitingFor: parked.objects)
            log("task \(task.lease.task): waiting for \(parked.objects) archived object(s) to be retrieved; checked again at "
                + S3Time.string(due))
        } catch let error as QueueError where error.kind == .leaseLost(task: task.lease.task) {
            log("\(error)")
        }
    }

    /// Records a failed attempt; what it copied is in the catalog first.
    private func record(_ failure: TaskFailure, of task: ClaimedTask) async throws {
        do {
            if let catalog = failure.catalog { try await queue.record(catalog, holding: task.lease) }
            try await queue.fail(task.lease, error: failure.message, permanent: failure.permanent,
                                 result: try failure.outcome.map { try Payload.encode($0) })
            log("task \(task.lease.task) attempt \(task.attempt)/\(task.maxAttempts) failed: \(failure.message)")
        } catch let error as QueueError where error.kind == .leaseLost(task: task.lease.task) {
            log("\(error)")
        }
    }

    /// What a task did, and what that changes in its pair's catalog.
    private typealias Done = (outcome: TaskOutcome, catalog: CatalogChanges)

    /// Does one task.
    private func execute(_ task: ClaimedTask, on lanes: Lanes) async throws -> Done {
        let context = try await context(for: task.run)
        switch task.kind {
        case TaskKind.copy:
            let batch = try decode(CopyBatch.self, task)
            return try await copy(batch, context: context, task: task, on: lanes)
        case TaskKind.delete:
            let batch = try decode(DeleteBatch.self, task)
            return try await delete(batch, context: context, task: task, on: lanes)
        case TaskKind.extend:
            let batch = try decode(LockBatch.self, task)
            return try await extend(batch, context: context, task: task, on: lanes)
        default:
            throw TaskFailure(message: "unknown task kind \(task.kind.debugDescription); is this worker older than the planner?",
                              permanent: true)
        }
    }

    /// Why an object listed in the source was not copied when it had been deleted since.
    static let goneSinceListed = "gone from the source since it was listed"

    /// What a copy task's objects came to so far.
    private struct CopyResults {
        var outcome = TaskOutcome()
        var failures: [(String, S3Error)] = []
        /// Rows of the objects copied or adopted.
        var catalog: [CatalogEntry] = []
        /// Delete markers placed over copies refused after they were written, by key.
        var markers: [(key: String, version: String)] = []
        /// Objects being retrieved from an archive, to be checked again.
        var waiting: [CopyItem] = []
    }

    private func copy(_ batch: CopyBatch, context: RunContext, task: ClaimedTask, on lanes: Lanes) async throws -> Done {
        let results = LockedBox(CopyResults())
        try await lanes.forEach(batch.objects) { [changes] item in
            let key = RunLog.quoted(context.backupURL.prefix + item.key)
            do {
                guard let retrieved = try await self.admit(item, key: key, context: context, into: results) else { return }
                // Any earlier attempt, of this round or one before a `retry`, may have copied the object.
                var copied = try await context.copier.copy(item, checkBackupFirst: task.attempt > 1 || task.earlierAttempts > 0)
                if retrieved && copied.outcome.copied == 1 { copied.outcome.retrieved = 1 }
                let outcome = copied.outcome
                results.mutate { results in
                    results.outcome.add(outcome)
                    if let entry = copied.entry { results.catalog.append(entry) }
                }
                if outcome.copied == 1 {
                    let how = outcome.streamed == 1 ? "streamed" : "server-side"
                    let parts = outcome.relayouts == 1 ? ", with another part layout (ETags recorded)"
                        : outcome.multipart == 1 ? ", multipart in the source's part layout" : ""
                    let verified = outcome.verifiedByETag == 1 ? "ETag" : outcome.verifiedByChecksum == 1 ? "checksum" : "size"
                    changes("copied \(key) (\(item.size) bytes, \(how)\(parts), verified by \(verified)) in \(context.backupURL.bucket)")
                } else if outcome.adopted == 1 {
                    changes("not copied \(key): equal to the backup's object by full-object checksum (adopted into the catalog)")
                } else if outcome.vanished == 1 {
                    changes("not copied \(key): \(Worker.goneSinceListed)")
                } else if !outcome.customerKeyNotCopied.isEmpty {
                    changes("not copied \(key): encrypted in the source with a customer-provided key (SSE-C), which s3backup does not hold")
                }
            } catch let hidden as ObjectCopier.Hidden {
                results.mutate { results in
                    results.failures.append((item.key, hidden.error))
                    if let marker = hidden.marker { results.markers.append((item.key, marker)) }
                }
                changes("failed \(key): \(hidden.error)")
            } catch let error as S3Error {
                results.mutate { $0.failures.append((item.key, error)) }
                changes("failed \(key): \(error)")
            }
        }
        let done = results.value
        var total = batch.done ?? TaskOutcome()
        total.add(done.outcome)
        let catalog = CatalogChanges(pair: context.pair, recorded: done.catalog, markers: done.markers)
        try await fail(ifAny: done.failures, task: task, total: batch.objects.count, outcome: total, catalog: catalog)
        let waiting = done.waiting
        guard waiting.isEmpty else {
            let checks = (batch.checks ?? 0) + 1
            let rest = CopyBatch(objects: waiting.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) },
                                 done: total, checks: checks)
            throw TaskParked(payload: try Payload.encode(rest), result: try Payload.encode(total), objects: waiting.count,
                             after: ArchiveCheck.nextCheck(after: checks, first: options.retrievalCheck), catalog: catalog)
        }
        return (total, catalog)
    }

    /// Whether `item` (`key` in the backup, quoted for the log) can be copied now, and whether that took a retrieval
    /// (`ArchiveCheck`); nil when it is not copied now: gone, archived and not retrieved by this run, or being
    /// retrieved, each recorded in `results` and told.
    private func admit(_ item: CopyItem, key: String, context: RunContext, into results: LockedBox<CopyResults>) async throws -> Bool? {
        switch try await context.archives.readiness(of: item) {
        case .readable(let retrieved):
            return retrieved
        case .gone:
            results.mutate { $0.outcome.vanished += 1 }
            changes("not copied \(key): \(Worker.goneSinceListed)")
        case .notRetrieved(let archive):
            results.mutate { $0.outcome.archivedNotCopied.append(item.key) }
            changes("not copied \(key): archived in the source (\(archive)); run with --restore-archived to retrieve it")
        case .waiting(let request):
            results.mutate { results in
                results.waiting.append(item)
                guard let request else { return }
                results.outcome.retrievalsRequested += 1
                results.outcome.retrievalBytes += request.bytes
                results.outcome.retrievalCost += request.cost
            }
            if request != nil { changes("retrieval asked for \(RunLog.quoted(context.sourceURL.prefix + item.key)) in \(context.sourceURL.bucket)") }
        }
        return nil
    }

    /// Extends the locks of a batch of backup versions to `LockPolicy.retention(at:)` from now, never shortening or
    /// weakening one. Each version's own retention is read first (HeadObject): the catalog's date may be behind one
    /// someone extended further, and not every provider refuses a shorter date as S3 does (moto takes it). A version
    /// locked long enough already counts as extended and its date is recorded; otherwise it is locked to the later of
    /// the two dates, in compliance mode if it already is. A current version without a catalog row is locked the same
    /// way and gets its row, unless it changed since it was listed. A version gone (deleted by someone else, or its
    /// row stale) is passed over. https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html
    private func extend(_ batch: LockBatch, context: RunContext, task: ClaimedTask, on lanes: Lanes) async throws -> Done {
        guard let lock = context.lock else {
            throw TaskFailure(message: "an extend task in a run that locks nothing", permanent: true)
        }
        let results = LockedBox((catalog: CatalogChanges(pair: context.pair), failures: [(String, S3Error)]()))
        try await lanes.forEach(batch.versions) { [changes] version in
            let key = context.backupURL.prefix + version.key
            do {
                let held = try await context.backup.headObject(bucket: context.backupURL.bucket, key: key, versionID: version.backupVersion)
                if let adopt = version.adopt, held.etag.value != adopt.backupETag || held.size != adopt.size {
                    return changes("not locked \(RunLog.quoted(key)): it changed in the backup since it was listed")
                }
                let wanted = lock.extended(held.retention, at: Date())
                let versionID = version.backupVersion ?? held.versionID
                if wanted != held.retention {
                    try await context.backup.putObjectRetention(bucket: context.backupURL.bucket, key: key, versionID: versionID,
                                                                retention: wanted)
                }
                results.mutate {
                    if let adopt = version.adopt {
                        $0.catalog.recorded.append(CatalogEntry(pair: context.pair, key: version.key, size: adopt.size, sourceETag: adopt.sourceETag,
                                                                backupETag: held.etag.value, backupVersion: versionID, retainUntil: wanted.until))
                    } else {
                        $0.catalog.extended.append(.init(key: version.key, backupVersion: version.backupVersion, retainUntil: wanted.until))
                    }
                }
                changes("locked \(RunLog.quoted(key)) until \(S3Time.string(wanted.until)) in \(context.backupURL.bucket)")
            } catch let error as S3Error where error.code == "NoSuchVersion" || error.code == "NoSuchKey" || error.status == 404 {
                changes("not locked \(RunLog.quoted(key)): the version is gone from the backup")
            } catch let error as S3Error {
                results.mutate { $0.failures.append((version.key, error)) }
                changes("failed to lock \(RunLog.quoted(key)): \(error)")
            }
        }
        let done = results.value
        let outcome = TaskOutcome(locksExtended: done.catalog.recorded.count + done.catalog.extended.count)
        try await fail(ifAny: done.failures, task: task, total: batch.versions.count, outcome: outcome, catalog: done.catalog)
        return (outcome, done.catalog)
    }

    /// Deletes a batch from the backup; the catalog forgets the keys deleted.
    private func delete(_ batch: DeleteBatch, context: RunContext, task: ClaimedTask, on lanes: Lanes) async throws -> Done {
        let refs = batch.keys.map { ObjectVersionRef(key: context.backupURL.prefix + $0) }
        let result: DeleteResult
        do {
            result = try await lanes.run { try await context.backup.deleteObjects(bucket: context.backupURL.bucket, refs) }
        } catch let error as S3Error {
            throw TaskFailure(message: "\(error)", permanent: !error.isRetryable)
        }
        for deleted in result.deleted { changes("deleted \(RunLog.quoted(deleted.key)) from \(context.backupURL.bucket)") }
        for failed in result.errors { changes("failed to delete \(failed.object.key.debugDescription): \(failed.code): \(failed.message)") }
        try await recordFailures(result.errors.map { ($0.object.key, "\($0.code): \($0.message)") }, task: task)
        let relative = { (key: String) in Planner.relative(key, to: context.backupURL.prefix) }
        let catalog = CatalogChanges(pair: context.pair, removed: result.deleted.map { relative($0.key) },
                                     markers: result.markers.compactMap { marker in marker.versionID.map { (relative(marker.key), $0) } })
        if !result.errors.isEmpty {
            // A key S3 refuses (AccessDenied: a policy, or Object Lock on a version) is refused again: the task ends
            // dead, naming the keys, rather than being tried until its attempts run out.
            throw TaskFailure(message: "\(result.errors.count) of \(refs.count) deletes failed, e.g. "
                + "\(result.errors[0].object.key.debugDescription): \(result.errors[0].code)",
                              permanent: result.errors.allSatisfy { !Worker.transientDeleteCodes.contains($0.code) },
                              outcome: TaskOutcome(deleted: result.deleted.count), catalog: catalog)
        }
        return (TaskOutcome(deleted: result.deleted.count), catalog)
    }

    /// The per-key DeleteObjects errors another attempt may not get: S3's own trouble, not a refusal.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
    static let transientDeleteCodes: Set<String> = ["InternalError", "SlowDown", "ServiceUnavailable", "RequestTimeout"]

    /// Records each failed object with the task and fails the task: permanently when S3 refused every object in
    /// a way another attempt cannot change (access denied, a bucket gone); a broken connection or stream, a copy
    /// that did not verify, a transient error are tried again.
    private func fail(ifAny failures: [(String, S3Error)], task: ClaimedTask, total: Int, outcome: TaskOutcome,
                      catalog: CatalogChanges) async throws {
        guard let first = failures.first else { return }
        try await recordFailures(failures.map { ($0.0, "\($0.1)") }, task: task)
        throw TaskFailure(message: "\(failures.count) of \(total) objects failed, e.g. \(first.0.debugDescription): \(first.1)",
                          permanent: failures.allSatisfy { !ObjectCopier.mendedByCopyingAgain($0.1) },
                          outcome: outcome, catalog: catalog)
    }

    /// Records per-object failures with the task; a lost lease ends the recording (the new holder records its own).
    private func recordFailures(_ failures: [(subject: String, error: String)], task: ClaimedTask) async throws {
        do {
            for failure in failures { try await queue.recordFailure(task.lease, subject: failure.subject, error: failure.error) }
        } catch let error as QueueError where error.kind == .leaseLost(task: task.lease.task) {
            log("\(error)")
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ task: ClaimedTask) throws -> T {
        do {
            return try Payload.decode(type, task.payload)
        } catch {
            throw TaskFailure(message: "\(BackupError.badPayload(task: task.lease.task, reason: "\(error)"))", permanent: true)
        }
    }

    /// Clients and copier for a run, built once per process from the run's stored parameters.
    private func context(for run: RunID) async throws -> RunContext {
        if let known = contexts.value[run] { return known }
        let parameters: RunParameters
        do {
            parameters = try RunParameters.stored(in: try await queue.run(run))
        } catch let error as BackupError {
            throw TaskFailure(message: "\(error)", permanent: true)
        }
        let context = try RunContext(parameters: parameters, stores: stores, observer: pacer)
        // Slots that asked at once keep the first context made, so the process has one set of clients per run
        // (each learns a bucket's region once).
        return contexts.mutate { contexts in
            if let first = contexts[run] { return first }
            contexts[run] = context
            return context
        }
    }
}

/// What a worker needs for the tasks of one run.
struct RunContext: Sendable {
    /// The run's pair of locations, as its catalog rows name it.
    let pair: String
    let backup: any ObjectStore
    let backupURL: S3URL
    let sourceURL: S3URL
    let copier: ObjectCopier
    /// Whether the run's archived sources can be read, retrieving them if the run does.
    let archives: ArchiveCheck
    /// Counts this run's requests and their retries.
    let requests: RunRequestCounter
    /// How the run locks the backup's versions; nil when it does not.
    let lock: LockPolicy?

    /// Makes a run's stores, their requests seen by the observer given: the source's, the backup's, and whether
    /// they share a service (so S3 copies server-side).
    typealias Stores = @Sendable (RunParameters, any RequestObserver) throws
        -> (source: any ObjectStore, backup: any ObjectStore, serverSide: Bool)

    /// S3 clients configured from the run's stored sides and `environment`.
    static func clients(environment: [String: String]) -> Stores {
        { parameters, observer in
            (try parameters.source.client(environment: environment, observer: observer),
             try parameters.backup.client(environment: environment, observer: observer),
             try parameters.source.sharesService(with: parameters.backup, environment: environment))
        }
    }

    init(parameters: RunParameters, stores: Stores, observer: FleetPacer) throws {
        requests = RunRequestCounter(pacer: observer)
        pair = parameters.pair
        lock = parameters.lock
        let (source, backup, serverSide) = try stores(parameters, requests)
        self.backup = backup
        backupURL = try parameters.backup.location()
        sourceURL = try parameters.source.location()
        archives = ArchiveCheck(source: source, sourceURL: sourceURL, retrieval: parameters.retrieval)
        copier = ObjectCopier(source: source, backup: backup, sourceURL: sourceURL,
                              backupURL: backupURL, parameters: parameters, serverSide: serverSide)
    }
}

/// One run's side of a process's clients: every attempt is paced by the process's `FleetPacer` (one pace per
/// process, whatever the runs), and counted for this run by operation, with the retries, so the process can add
/// them to the run as it goes. Counting per run, not per process, keeps a worker that serves several runs from
/// booking one run's requests to another.
public final class RunRequestCounter: RequestObserver {
    private let pacer: FleetPacer
    private let counts = LockedBox(RequestCounts())

    /// A counter whose attempts `pacer` paces.
    public init(pacer: FleetPacer) { self.pacer = pacer }

    /// Counts the attempt under its operation, then lets the pacer space it.
    public func beforeAttempt(_ operation: String) async {
        counts.mutate { $0.sent[operation, default: 0] += 1 }
        await pacer.beforeAttempt(operation)
    }

    /// Tells the pacer, and counts a retry (and a throttled attempt) when there is one.
    public func attemptFailed(_ error: S3Error, verdict: RetryClassifier.Verdict, willRetry: Bool) {
        pacer.attemptFailed(error, verdict: verdict, willRetry: willRetry)
        counts.mutate { counts in
            if willRetry { counts.retries += 1 }
            if verdict == .throttled { counts.throttled += 1 }
        }
    }

    /// The counts since the last call.
    func take() -> RequestCounts {
        counts.mutate { counts in
            defer { counts = RequestCounts() }
            return counts
        }
    }

    /// Puts back counts that could not be recorded.
    func giveBack(_ other: RequestCounts) { counts.mutate { $0.add(other) } }

    /// Adds the counts since the last call to `run` in `queue`; counts the write fails to add are kept for the next
    /// time, and the error is thrown.
    public func record(run: RunID, in queue: any TaskQueue) async throws {
        let counts = take()
        do {
            try await queue.addRequestCounts(run: run, counts)
        } catch {
            giveBack(counts)
            throw error
        }
    }
}

/// A copy task that waits for S3 to retrieve `objects` of its objects: parked with `payload`, what is left of it,
/// and checked again `after` this long.
struct TaskParked: Error {
    let payload: [UInt8]
    /// What the task did so far, its earlier claims included.
    let result: [UInt8]
    let objects: Int
    let after: Duration
    /// Rows of the objects copied so far.
    let catalog: CatalogChanges
}

/// A task that failed: retried later, or dead when `permanent`; `outcome` is what it still did.
struct TaskFailure: Error {
    let message: String
    let permanent: Bool
    var outcome: TaskOutcome?
    /// Rows of what the attempt still copied or deleted.
    var catalog: CatalogChanges?
}
