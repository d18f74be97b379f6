import CSQLite
import Dispatch
import Foundation

/// The queue in one SQLite file, shared by the processes of one host.
///
/// Connection rules (https://www.sqlite.org/wal.html, https://www.sqlite.org/pragma.html):
/// - WAL, so readers never block the writer and commits are cheap;
/// - every write in `BEGIN IMMEDIATE`, with `busy_timeout`, so lock waits are bounded and never fail mid-way;
/// - `synchronous = NORMAL`: in WAL mode a power loss can roll back the last commits but never corrupts the file.
///   Losing a commit here means a task looks unfinished (or unplanned) again and is redone; S3 copies and deletes
///   are idempotent, so that costs time, never an object. FULL would fsync every claim and completion;
/// - no transaction spans a task's work: each method is one short transaction.
///
/// The connection lives on a private serial queue, never on Swift's cooperative pool.
public final class SQLiteQueue: TaskQueue {
    /// The database file.
    public let path: String
    let settings: QueueSettings
    private let clock: @Sendable () -> Date
    private let executor: DispatchQueue
    private let connection: ConfinedConnection

    /// Opens (creating and migrating if needed) the queue at `path`. Refuses network file systems.
    public init(path: String, settings: QueueSettings = QueueSettings(),
                clock: @escaping @Sendable () -> Date = Date.init) throws {
        try FileSystemCheck.refuseNetworkFileSystem(for: path)
        let connection = try Connection(path: path)
        sqlite3_busy_timeout(connection.raw, Int32(settings.busyTimeout.components.seconds * 1000))
        if try connection.integer("PRAGMA user_version") == 0 {
            // Must come before the first table (and before WAL writes the header), or the file can never give
            // space back without a full VACUUM. https://www.sqlite.org/pragma.html#pragma_auto_vacuum
            try connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        }
        guard try connection.prepare("PRAGMA journal_mode = WAL").rows({ $0.text(0) }).first == "wal" else {
            throw QueueError(.sqlite(code: SQLITE_ERROR), "cannot switch to WAL mode", path: path)
        }
        try connection.execute("""
            PRAGMA synchronous = NORMAL;
            PRAGMA foreign_keys = ON;
            PRAGMA journal_size_limit = 67108864;
            """)
        try SQLiteMigrations.apply(to: connection)
        self.path = path
        self.settings = settings
        self.clock = clock
        self.executor = DispatchQueue(label: "s3backup.queue")
        self.connection = ConfinedConnection(connection)
    }

    /// Runs `body` with the connection on the private queue.
    func perform<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            executor.async { continuation.resume(with: Result { try body(self.connection.value) }) }
        }
    }

    /// Now, in unix milliseconds.
    func now() -> Int64 { QueueTime.milliseconds(clock()) }

    // MARK: Runs

    /// Starts a run in state `planning`.
    public func createRun(kind: String, source: String, destination: String, parameters: String) async throws -> RunID {
        let now = now()
        return try await perform { db in
            try db.writeTransaction {
                let insert = try db.prepare("""
                    INSERT INTO runs (kind, source, destination, parameters, created_at, updated_at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id
                    """)
                return try insert.bind(.text(kind), .text(source), .text(destination), .text(parameters), .integer(now))
                    .rows { $0.int64(0) }[0]
            }
        }
    }

    /// Moves a run to `state`, noting why.
    public func setRunState(_ run: RunID, _ state: RunState, note: String?) async throws {
        let now = now()
        try await perform { db in
            try db.writeTransaction {
                try db.prepare("""
                    UPDATE runs SET state = ?2, note = coalesce(?3, note), updated_at = ?4,
                        finished_at = CASE WHEN ?2 IN ('finished', 'cancelled') THEN ?4 END
                    WHERE id = ?1
                    """).bind(.integer(run), .text(state.rawValue), note.map { .text($0) } ?? .null, .integer(now)).run()
                if db.changes == 0 { throw QueueError(.notFound, "there is no run \(run)", path: db.path) }
            }
        }
    }

    /// Adds the requests (and the retries among them) a worker's or planner's clients made for the run, in one
    /// transaction. Not guarded by a lease: the requests happened, whoever holds the task now.
    public func addRequestCounts(run: RunID, _ counts: RequestCounts) async throws {
        guard !counts.isEmpty else { return }
        let now = now()
        try await perform { db in
            try db.writeTransaction {
                try db.prepare("""
                    UPDATE runs SET request_retries = request_retries + ?2, throttled_requests = throttled_requests + ?3,
                        updated_at = ?4
                    WHERE id = ?1
                    """).bind(.integer(run), .integer(Int64(counts.retries)), .integer(Int64(counts.throttled)), .integer(now)).run()
                // A pruned run is left alone: the subquery finds no run, so nothing is inserted.
                let add = try db.prepare("""
                    INSERT INTO run_requests (run_id, operation, sent) SELECT id, ?2, ?3 FROM runs WHERE id = ?1
                    ON CONFLICT (run_id, operation) DO UPDATE SET sent = sent + excluded.sent
                    """)
                for (operation, sent) in counts.sent where sent > 0 {
                    try add.bind(.integer(run), .text(operation), .integer(Int64(sent))).run()
                }
            }
        }
    }

    // MARK: Tasks

    /// Adds tasks in one transaction, skipping unique keys the run already has.
    @discardableResult
    public func enqueue(_ tasks: [NewTask], run: RunID, held: Bool) async throws -> Int {
        let now = now(), due = held ? Self.heldUntil : now
        return try await perform { db in
            try db.writeTransaction {
                let insert = try db.prepare("""
                    INSERT INTO tasks (run_id, kind, unique_key, payload, max_attempts, run_at, created_at, updated_at, unit)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8) ON CONFLICT (run_id, unique_key) DO NOTHING
                    """)
                var added = 0
                for task in tasks {
                    try insert.bind(.integer(run), .text(task.kind), .text(task.uniqueKey), .blob(task.payload),
                                    .integer(Int64(task.maxAttempts)), .integer(due), .integer(now),
                                    task.unit.map { .text($0) } ?? .null).run()
                    added += db.changes
                }
                return added
            }
        }
    }

    /// Sweeps expired leases, then claims up to `limit` due tasks (of `run`, if given), in one transaction.
    public func claim(worker: String, limit: Int, run: RunID?) async throws -> [ClaimedTask] {
        precondition(limit >= 1, "claim at least one task")
        let now = now(), lease = QueueTime.milliseconds(settings.leaseDuration)
        return try await perform { db in
            try db.writeTransaction {
                // An expired lease means the worker died or stalled. The attempt was counted at claim time, so a
                // task that keeps killing its worker runs out of attempts and dies instead of looping.
                try db.prepare("""
                    UPDATE tasks SET
                        state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'ready' END,
                        finished_at = CASE WHEN attempts >= max_attempts THEN ?1 END,
                        run_at = ?1, updated_at = ?1,
                        last_error = 'the lease of ' || lease_owner || ' expired: the worker died or stalled',
                        lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = NULL
                    WHERE state = 'running' AND lease_expires_at < ?1
                    """).bind(.integer(now)).run()
                // The due tasks in order straight off `tasks_ready`: without statistics (no ANALYZE) SQLite would
                // rather take `tasks_by_run` and sort every ready task of the run for each claim, a cost that grows
                // with the backlog. https://www.sqlite.org/lang_indexedby.html
                let claimed = try db.prepare("""
                    UPDATE tasks SET state = 'running', attempts = attempts + 1, lease_owner = ?2, waiting = NULL,
                        lease_token = lease_token + 1, lease_expires_at = ?1 + ?3, heartbeat_at = ?1, claimed_at = ?1,
                        updated_at = ?1
                    WHERE id IN (SELECT id FROM tasks INDEXED BY tasks_ready
                                 WHERE state = 'ready' AND run_at <= ?1 AND (?5 IS NULL OR run_id = ?5)
                                 AND run_id IN (SELECT id FROM runs WHERE state IN ('planning', 'running'))
                                 ORDER BY run_at, id LIMIT ?4)
                    RETURNING id, run_id, kind, payload, attempts, max_attempts, lease_token, earlier_attempts
                    """).bind(.integer(now), .text(worker), .integer(lease), .integer(Int64(limit)),
                              run.map { .integer($0) } ?? .null).rows { row in
                    ClaimedTask(lease: Lease(task: row.int64(0), owner: worker, token: row.int64(6)), run: row.int64(1),
                                kind: row.text(2), payload: row.blob(3), attempt: Int(row.int64(4)),
                                maxAttempts: Int(row.int64(5)), earlierAttempts: Int(row.int64(7)))
                }
                // RETURNING order is unspecified: https://www.sqlite.org/lang_returning.html
                return claimed.sorted { $0.lease.task < $1.lease.task }
            }
        }
    }

    /// Extends leases still held; returns the lost ones.
    public func renew(_ leases: [Lease]) async throws -> [Lease] {
        let now = now(), lease = QueueTime.milliseconds(settings.leaseDuration)
        return try await guarded(leases, """
            UPDATE tasks SET lease_expires_at = ?4 + ?5, heartbeat_at = ?4, updated_at = ?4
            WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND lease_token = ?3
            """) { _ in [.integer(now), .integer(lease)] }
    }

    /// Marks tasks succeeded; returns the lost leases, whose results were not stored.
    public func complete(_ completions: [(lease: Lease, result: [UInt8]?)]) async throws -> [Lease] {
        let now = now()
        let results = Dictionary(completions.map { ($0.lease, $0.result) }, uniquingKeysWith: { $1 })
        return try await guarded(completions.map(\.lease), """
            UPDATE tasks SET state = 'succeeded', result = ?5, finished_at = ?4, updated_at = ?4,
                lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = NULL
            WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND lease_token = ?3
            """) { lease in [.integer(now), results[lease]!.map { .blob($0) } ?? .null] }
    }

    /// Gives tasks back without counting the attempt.
    public func release(_ leases: [Lease]) async throws {
        let now = now()
        _ = try await guarded(leases, """
            UPDATE tasks SET state = 'ready', attempts = attempts - 1, run_at = ?4, updated_at = ?4,
                lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = NULL
            WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND lease_token = ?3
            """) { _ in [.integer(now)] }
    }

    /// Records a failed attempt: a retry after backoff, or dead.
    public func fail(_ lease: Lease, error: String, permanent: Bool, result: [UInt8]?) async throws {
        let now = now(), settings = settings
        let random = Double.random(in: 0..<1)
        try await perform { db in
            try db.writeTransaction {
                let attempts = try db.prepare("""
                    SELECT attempts FROM tasks WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND lease_token = ?3
                    """).bind(.integer(lease.task), .text(lease.owner), .integer(lease.token)).rows { Int($0.int64(0)) }
                guard let attempt = attempts.first else { throw QueueError.lost(lease, path: db.path) }
                let delay = QueueTime.milliseconds(settings.retryDelay(afterAttempt: max(attempt, 1), random: random))
                try db.prepare("""
                    UPDATE tasks SET
                        state = CASE WHEN ?4 OR attempts >= max_attempts THEN 'dead' ELSE 'ready' END,
                        finished_at = CASE WHEN ?4 OR attempts >= max_attempts THEN ?5 END,
                        run_at = CASE WHEN ?4 OR attempts >= max_attempts THEN run_at ELSE ?5 + ?6 END,
                        last_error = ?7, result = ?8, updated_at = ?5, lease_owner = NULL, lease_expires_at = NULL,
                        heartbeat_at = NULL
                    WHERE id = ?1 AND lease_owner = ?2 AND lease_token = ?3
                    """).bind(.integer(lease.task), .text(lease.owner), .integer(lease.token), .integer(permanent ? 1 : 0),
                              .integer(now), .integer(delay), .text(error), result.map { .blob($0) } ?? .null).run()
            }
        }
    }

    /// Records one object's failure inside a task whose lease is held.
    public func recordFailure(_ lease: Lease, subject: String, error: String) async throws {
        let now = now()
        try await perform { db in
            try db.writeTransaction {
                try db.prepare("""
                    INSERT INTO task_failures (task_id, subject, error, at, attempt)
                    SELECT id, ?4, ?5, ?6, earlier_attempts + attempts FROM tasks
                    WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND lease_token = ?3
                    """).bind(.integer(lease.task), .text(lease.owner), .integer(lease.token), .text(subject),
                              .text(error), .integer(now)).run()
                if db.changes == 0 { throw QueueError.lost(lease, path: db.path) }
            }
        }
    }

    /// Runs `sql` (parameters 1-3: task, owner, token; 4… from `extra`) for each lease in one transaction;
    /// returns the leases it changed nothing for: lost.
    func guarded(_ leases: [Lease], _ sql: String,
                         extra: @escaping @Sendable (Lease) -> [Statement.Value]) async throws -> [Lease] {
        guard !leases.isEmpty else { return [] }
        return try await perform { db in
            try db.writeTransaction {
                let statement = try db.prepare(sql)
                var lost: [Lease] = []
                for lease in leases {
                    try statement.bind([.integer(lease.task), .text(lease.owner), .integer(lease.token)] + extra(lease)).run()
                    if db.changes == 0 { lost.append(lease) }
                }
                return lost
            }
        }
    }
}

/// The connection, confined to `SQLiteQueue.executor`.
/// `@unchecked Sendable`: only closures run on that serial queue (`SQLiteQueue.perform`) touch `value`.
final class ConfinedConnection: @unchecked Sendable {
    let value: Connection
    init(_ value: Connection) { self.value = value }
}
