import Dispatch
import Foundation

/// The queue in a PostgreSQL database, shared by the processes of many hosts.
///
/// Rules:
/// - every time is the server's: `now()`, read as the transaction begins, is the only clock the queue compares, so
///   a host whose clock is wrong can neither take a lease early nor keep one too long;
/// - claims take due tasks `FOR UPDATE SKIP LOCKED`: concurrent claimers on any host never wait for one another and
///   never take the same task (https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE);
/// - every method is one short transaction (READ COMMITTED); a batch of leases travels as arrays in one statement;
/// - a lost connection (a restart, a failover) is a normal event: the transaction is done again on a new connection,
///   with backoff, for up to `QueueSettings.reconnectWithin`. One whose COMMIT went unanswered may have happened,
///   so it is done again only when doing it twice is harmless (lease-guarded writes are: the second finds the task
///   no longer held and changes nothing).
///
/// The connection lives on a private serial queue, never on Swift's cooperative pool.
public final class PostgresQueue: TaskQueue {
    /// The location as given, for messages (libpq keeps passwords in `PGPASSWORD`, `~/.pgpass` or a service file).
    public let location: String
    let settings: QueueSettings
    /// nil: the server's clock. Tests pass one they move by hand.
    private let clock: (@Sendable () -> Date)?
    private let executor = DispatchQueue(label: "s3backup.queue.postgres")
    private let connection: ConfinedPGConnection

    /// Connects to the database `conninfo` names and migrates the queue's schema (creating it when `create`, else
    /// refusing a database that has none). `location` is how messages name it.
    public init(conninfo: String, location: String, settings: QueueSettings = QueueSettings(), create: Bool = true,
                clock: (@Sendable () -> Date)? = nil) throws {
        let connection = try PGConnection(conninfo: conninfo, location: location)
        try PostgresMigrations.apply(to: connection, create: create)
        self.location = location
        self.settings = settings
        self.clock = clock
        self.connection = ConfinedPGConnection(connection)
    }

    /// Runs `body` in one transaction on the private queue, with the transaction's time in unix milliseconds.
    /// `idempotent`: doing it twice is harmless, so a COMMIT lost with the connection is done again. `settings`
    /// (`SET LOCAL …;`) hold for this transaction only. `planner`: a write of the planner's, which no lease guards, is
    /// tried again for half a lease at most, so a planner cut off longer cannot write after another took over.
    func transaction<T: Sendable>(idempotent: Bool = true, settings: String = "", planner: Bool = false,
                                  _ body: @escaping @Sendable (PGConnection, Int64) throws -> T) async throws -> T {
        let within = planner ? min(self.settings.reconnectWithin, self.settings.leaseDuration / 2) : self.settings.reconnectWithin
        return try await withCheckedThrowingContinuation { continuation in
            executor.async {
                continuation.resume(with: Result { try self.attempt(idempotent: idempotent, local: settings, within: within, body) })
            }
        }
    }

    /// `transaction`'s loop: begins, runs, commits; after a transient failure waits, reconnects and goes again.
    private func attempt<T>(idempotent: Bool, local: String, within: Duration,
                            _ body: (PGConnection, Int64) throws -> T) throws -> T {
        let db = connection.value
        let deadline = DispatchTime.now() + .nanoseconds(Int(QueueTime.milliseconds(within)) * 1_000_000)
        var pause = 0.05
        var troubled: DispatchTime?
        while true {
            var committing = false
            do {
                if !db.isConnected { try db.reconnect() }
                // A BEGIN whose script failed part way leaves its transaction open.
                if db.inTransaction { try db.execute("ROLLBACK") }
                let begun = try db.script("BEGIN; \(local) SELECT (extract(epoch FROM now()) * 1000)::bigint")
                let now = clock.map { QueueTime.milliseconds($0()) } ?? begun.integer(0, 0)!
                do {
                    let value = try body(db, now)
                    committing = true
                    try db.execute("COMMIT")
                    if let troubled {
                        let seconds = Double(DispatchTime.now().uptimeNanoseconds - troubled.uptimeNanoseconds) / 1e9
                        settings.log("queue \(location): back after \(String(format: "%.1f", seconds)) s")
                    }
                    return value
                } catch where !committing {
                    if db.isConnected { _ = try? db.execute("ROLLBACK") }
                    throw error
                }
            } catch let error as QueueError where Self.isTransient(error, on: db) && (idempotent || !committing)
                && DispatchTime.now() < deadline {
                // A standby that took over refuses writes until promoted, and a server shutting down says so on a
                // connection that still looks up: both need a new connection, which target_session_attrs steers.
                if case .postgres(let state) = error.kind, ["25006", "57P01", "57P02"].contains(state) { _ = try? db.reconnect() }
                if troubled == nil {
                    troubled = DispatchTime.now()
                    settings.log("queue \(location): \(error.message); trying again, with backoff, for up to "
                                 + "\(within.components.seconds) s")
                }
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 2)
            }
        }
    }

    /// A failure that doing the transaction again may get past: the connection broke or the server is going away
    /// or starting, a standby refused a write, or a deadlock or serialization failure rolled it back.
    /// https://www.postgresql.org/docs/current/errcodes-appendix.html
    static func isTransient(_ error: QueueError, on db: PGConnection) -> Bool {
        guard case .postgres(let state) = error.kind else { return false }
        return !db.isConnected || state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("40")
            || state == "25006" || state == "53300"
    }

    /// The isolation of transactions that decide a run's state from its tasks' (finishing idle runs, `retry`,
    /// `cancel`, `prune`): at READ COMMITTED each statement reads its own snapshot, so `retry` could revive a task
    /// while another host finished its run on what it read before, leaving a ready task in a finished run. Conflicts
    /// among them fail with 40001 and are done again. https://www.postgresql.org/docs/current/transaction-iso.html
    static let serializable = "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;"

    /// This host's clock, or the one the tests gave.
    func hostNow() -> Date { clock?() ?? Date() }

    /// The moment `serverTime` (unix ms on the server's clock, read at `serverNow`) is on this host's clock: what a
    /// caller that compares with its own `Date()` (the fleet pacer) must be given.
    func onThisHost(_ serverTime: Int64, serverNow: Int64) -> Date {
        hostNow().addingTimeInterval(-Double(serverNow - serverTime) / 1000)
    }


    /// Bytes the queue's tables and their indexes take on the server.
    /// https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADMIN-DBSIZE
    public func storedBytes() async throws -> Int64 {
        try await transaction { db, _ in
            try db.execute("""
                SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
                WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace
                """).integer(0, 0) ?? 0
        }
    }

    // MARK: Runs

    /// Starts a run in state `planning`. Not done again after a lost COMMIT: that could leave a second run planning.
    public func createRun(kind: String, source: String, destination: String, parameters: String) async throws -> RunID {
        try await transaction(idempotent: false) { db, now in
            try db.execute("""
                INSERT INTO runs (kind, source, destination, parameters, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5::bigint, $5::bigint) RETURNING id
                """, [.text(kind), .text(source), .text(destination), .text(parameters), .integer(now)]).integer(0, 0)!
        }
    }

    /// Moves a run to `state`, noting why.
    public func setRunState(_ run: RunID, _ state: RunState, note: String?) async throws {
        let location = location
        try await transaction { db, now in
            let changed = try db.execute("""
                UPDATE runs SET state = $2, note = coalesce($3, note), updated_at = $4::bigint,
                    finished_at = CASE WHEN $2 IN ('finished', 'cancelled') THEN $4::bigint END
                WHERE id = $1::bigint
                """, [.integer(run), .text(state.rawValue), .text(note), .integer(now)]).changed
            if changed == 0 { throw QueueError(.notFound, "there is no run \(run)", path: location) }
        }
    }

    /// Adds the requests (and the retries among them) made for a run, in one transaction: the operations as arrays,
    /// upserted. Not done again after a lost COMMIT (the counts would be added twice).
    public func addRequestCounts(run: RunID, _ counts: RequestCounts) async throws {
        guard !counts.isEmpty else { return }
        let sent = counts.sent.filter { $0.value > 0 }
        try await transaction(idempotent: false) { db, now in
            _ = try db.execute("""
                UPDATE runs SET request_retries = request_retries + $2::bigint,
                    throttled_requests = throttled_requests + $3::bigint, updated_at = $4::bigint
                WHERE id = $1::bigint
                """, [.integer(run), .integer(Int64(counts.retries)), .integer(Int64(counts.throttled)), .integer(now)])
            guard !sent.isEmpty else { return }
            // A pruned run is left alone: the join finds no run, so nothing is inserted.
            _ = try db.execute("""
                INSERT INTO run_requests (run_id, operation, sent)
                SELECT runs.id, t.operation, t.sent FROM runs, unnest($2::text[], $3::bigint[]) AS t (operation, sent)
                WHERE runs.id = $1::bigint
                ON CONFLICT (run_id, operation) DO UPDATE SET sent = run_requests.sent + excluded.sent
                """, [.integer(run), .array(sent.keys.map { .text($0) }), .array(sent.values.map { .integer(Int64($0)) })])
        }
    }

    // MARK: Tasks

    /// Adds tasks in one statement, skipping unique keys the run already has.
    @discardableResult
    public func enqueue(_ tasks: [NewTask], run: RunID, held: Bool) async throws -> Int {
        guard !tasks.isEmpty else { return 0 }
        return try await transaction(planner: true) { db, now in
            try db.execute("""
                INSERT INTO tasks (run_id, kind, unique_key, payload, max_attempts, run_at, created_at, updated_at, unit)
                SELECT $1::bigint, kind, unique_key, payload, max_attempts, $2::bigint, $3::bigint, $3::bigint, unit
                FROM unnest($4::text[], $5::text[], $6::bytea[], $7::integer[], $8::text[])
                    AS t (kind, unique_key, payload, max_attempts, unit)
                ON CONFLICT (run_id, unique_key) DO NOTHING
                """, [.integer(run), .integer(held ? Self.heldUntil : now), .integer(now),
                      .array(tasks.map { .text($0.kind) }), .array(tasks.map { .text($0.uniqueKey) }),
                      .array(tasks.map { .bytes($0.payload) }), .array(tasks.map { .integer(Int64($0.maxAttempts)) }),
                      .array(tasks.map { .text($0.unit) })]).changed
        }
    }

    /// Returns expired leases, then claims up to `limit` due tasks (of `run`, if given), in one transaction.
    public func claim(worker: String, limit: Int, run: RunID?) async throws -> [ClaimedTask] {
        precondition(limit >= 1, "claim at least one task")
        let lease = QueueTime.milliseconds(settings.leaseDuration)
        // The due tasks in order straight off `tasks_ready`. Without statistics (a table autovacuum has not analyzed
        // yet, or one whose rows changed since) the planner would rather read a run's every ready task through
        // `tasks_by_unit` and sort them, 50 ms at 100,000 tasks against 0.2: sorting is off for the claim.
        // https://www.postgresql.org/docs/current/runtime-config-query.html#GUC-ENABLE-SORT
        return try await transaction(settings: "SET LOCAL enable_sort = off;") { db, now in
            // An expired lease means the worker died, stalled or lost the server. Rows another claimer is sweeping
            // are skipped, not waited for (two sweeps locking in different orders could deadlock).
            try db.execute("""
                UPDATE tasks SET
                    state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'ready' END,
                    finished_at = CASE WHEN attempts >= max_attempts THEN $1::bigint END,
                    run_at = $1::bigint, updated_at = $1::bigint,
                    last_error = 'the lease of ' || lease_owner || ' expired: the worker died or stalled',
                    lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = NULL
                WHERE id IN (SELECT id FROM tasks WHERE state = 'running' AND lease_expires_at < $1::bigint
                             FOR UPDATE SKIP LOCKED)
                """, [.integer(now)])
            let claimed = try db.execute("""
                UPDATE tasks SET state = 'running', attempts = attempts + 1, lease_owner = $2, waiting = NULL,
                    lease_token = lease_token + 1, lease_expires_at = $1::bigint + $3::bigint, heartbeat_at = $1::bigint,
                    claimed_at = $1::bigint, updated_at = $1::bigint
                WHERE id IN (SELECT id FROM tasks
                             WHERE state = 'ready' AND run_at <= $1::bigint AND ($5::bigint IS NULL OR run_id = $5::bigint)
                             AND run_id IN (SELECT id FROM runs WHERE state IN ('planning', 'running'))
                             ORDER BY run_at, id LIMIT $4::bigint FOR UPDATE OF tasks SKIP LOCKED)
                RETURNING id, run_id, kind, payload, attempts, max_attempts, lease_token, earlier_attempts
                """, [.integer(now), .text(worker), .integer(lease), .integer(Int64(limit)), .integer(run)])
            return (0..<claimed.rows).map { row in
                ClaimedTask(lease: Lease(task: claimed.integer(row, 0)!, owner: worker, token: claimed.integer(row, 6)!),
                            run: claimed.integer(row, 1)!, kind: claimed.text(row, 2)!, payload: claimed.bytes(row, 3)!,
                            attempt: Int(claimed.integer(row, 4)!), maxAttempts: Int(claimed.integer(row, 5)!),
                            earlierAttempts: Int(claimed.integer(row, 7)!))
            }.sorted { $0.lease.task < $1.lease.task }
        }
    }

    /// Extends leases still held; returns the lost ones.
    public func renew(_ leases: [Lease]) async throws -> [Lease] {
        try await guarded(leases, set: """
            lease_expires_at = $4::bigint + $5::bigint, heartbeat_at = $4::bigint, updated_at = $4::bigint
            """, extra: [.integer(QueueTime.milliseconds(settings.leaseDuration))])
    }

    /// Marks tasks succeeded; returns the lost leases, whose results were not stored.
    public func complete(_ completions: [(lease: Lease, result: [UInt8]?)]) async throws -> [Lease] {
        try await guarded(completions.map(\.lease), set: """
            state = 'succeeded', result = held.result, finished_at = $4::bigint, updated_at = $4::bigint,
            lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = NULL
            """, column: ("result", "bytea", .array(completions.map { .bytes($0.result) })))
    }

    /// Gives tasks back without counting the attempt.
    public func release(_ leases: [Lease]) async throws {
        _ = try await guarded(leases, set: """
            state = 'ready', attempts = attempts - 1, run_at = $4::bigint, updated_at = $4::bigint,
            lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = NULL
            """)
    }

    /// Records a failed attempt: a retry after backoff, or dead.
    public func fail(_ lease: Lease, error: String, permanent: Bool, result: [UInt8]?) async throws {
        let settings = settings, random = Double.random(in: 0..<1), location = location
        try await transaction { db, now in
            let attempts = try db.execute("""
                SELECT attempts FROM tasks
                WHERE id = $1::bigint AND state = 'running' AND lease_owner = $2 AND lease_token = $3::bigint FOR UPDATE
                """, Self.key(lease))
            guard attempts.rows == 1, let attempt = attempts.integer(0, 0) else { throw QueueError.lost(lease, path: location) }
            let delay = QueueTime.milliseconds(settings.retryDelay(afterAttempt: max(Int(attempt), 1), random: random))
            try db.execute("""
                UPDATE tasks SET
                    state = CASE WHEN $4::boolean OR attempts >= max_attempts THEN 'dead' ELSE 'ready' END,
                    finished_at = CASE WHEN $4::boolean OR attempts >= max_attempts THEN $5::bigint END,
                    run_at = CASE WHEN $4::boolean OR attempts >= max_attempts THEN run_at ELSE $5::bigint + $6::bigint END,
                    last_error = $7, result = $8::bytea, updated_at = $5::bigint, lease_owner = NULL,
                    lease_expires_at = NULL, heartbeat_at = NULL
                WHERE id = $1::bigint AND lease_owner = $2 AND lease_token = $3::bigint
                """, Self.key(lease) + [.text(permanent ? "true" : "false"), .integer(now), .integer(delay), .text(error),
                                        .bytes(result)])
        }
    }

    /// Records one object's failure inside a task whose lease is held.
    public func recordFailure(_ lease: Lease, subject: String, error: String) async throws {
        let location = location
        try await transaction { db, now in
            let inserted = try db.execute("""
                INSERT INTO task_failures (task_id, subject, error, at, attempt)
                SELECT id, $4, $5, $6::bigint, earlier_attempts + attempts FROM tasks
                WHERE id = $1::bigint AND state = 'running' AND lease_owner = $2 AND lease_token = $3::bigint
                """, Self.key(lease) + [.text(subject), .text(error), .integer(now)]).changed
            if inserted == 0 { throw QueueError.lost(lease, path: location) }
        }
    }

    /// Parameters 1-3 of a statement guarded by `lease`: task, owner, token.
    static func key(_ lease: Lease) -> [PGValue] { [.integer(lease.task), .text(lease.owner), .integer(lease.token)] }

    /// Applies `set` to every task still held by one of `leases`, in one statement: the leases are arrays joined as
    /// `held (id, owner, token)` ($1-$3), $4 is the transaction's time, $5… are `extra`, and `column` one more array
    /// joined as `held.<name>`. Returns the leases it changed nothing for: lost.
    func guarded(_ leases: [Lease], set: String, extra: [PGValue] = [],
                 column: (name: String, type: String, values: PGValue)? = nil) async throws -> [Lease] {
        guard !leases.isEmpty else { return [] }
        let joined = column.map { (", $\(5 + extra.count)::\($0.type)[]", ", \($0.name)") } ?? ("", "")
        let sql = """
            UPDATE tasks SET \(set)
            FROM unnest($1::bigint[], $2::text[], $3::bigint[]\(joined.0)) AS held (id, owner, token\(joined.1))
            WHERE tasks.id = held.id AND tasks.state = 'running' AND tasks.lease_owner = held.owner
              AND tasks.lease_token = held.token
            RETURNING tasks.id, held.token
            """
        let arrays: [PGValue] = [.array(leases.map { .integer($0.task) }), .array(leases.map { .text($0.owner) }),
                                 .array(leases.map { .integer($0.token) })]
        return try await transaction { db, now in
            let changed = try db.execute(sql, arrays + [.integer(now)] + extra + (column.map { [$0.values] } ?? []))
            let kept = Set((0..<changed.rows).map { [changed.integer($0, 0)!, changed.integer($0, 1)!] })
            return leases.filter { !kept.contains([$0.task, $0.token]) }
        }
    }
}

/// The connection, confined to `PostgresQueue.executor`.
/// `@unchecked Sendable`: only closures run on that serial queue (`PostgresQueue.transaction`) touch `value`.
final class ConfinedPGConnection: @unchecked Sendable {
    let value: PGConnection
    init(_ value: PGConnection) { self.value = value }
}
