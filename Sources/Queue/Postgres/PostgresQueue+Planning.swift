import Foundation

extension PostgresQueue {
    /// The not-before time of a held task: never, until released.
    static let heldUntil = Int64.max

    /// Deletes the unit's unclaimed tasks, held or ready.
    public func discardUnclaimed(run: RunID, unit: String) async throws {
        try await transaction(planner: true) { db, _ in
            _ = try db.execute("DELETE FROM tasks WHERE run_id = $1::bigint AND unit = $2 AND state = 'ready'",
                           [.integer(run), .text(unit)])
        }
    }

    /// Ends planning atomically, if `owner` still holds the planner's lease (the run's row is locked meanwhile). Not
    /// done again after a lost COMMIT: the second time would find the lease freed and report it lost.
    public func completePlanning(run: RunID, owner: String, refusal: String?) async throws -> Bool {
        try await transaction(idempotent: false) { db, now in
            let holder = try db.execute("SELECT planner FROM runs WHERE id = $1::bigint FOR UPDATE", [.integer(run)])
            guard holder.rows == 1, holder.text(0, 0) == owner else { return false }
            let held: [PGValue] = [.integer(run), .integer(Self.heldUntil), .integer(now)]
            if refusal == nil {
                try db.execute("""
                    UPDATE tasks SET run_at = $3::bigint, updated_at = $3::bigint
                    WHERE run_id = $1::bigint AND state = 'ready' AND run_at = $2::bigint
                    """, held)
            } else {
                try db.execute("DELETE FROM tasks WHERE run_id = $1::bigint AND state = 'ready' AND run_at = $2::bigint",
                               Array(held.prefix(2)))
            }
            try db.execute("""
                UPDATE runs SET state = 'running', note = $2, planner = NULL, planner_expires_at = NULL, updated_at = $3::bigint
                WHERE id = $1::bigint
                """, [.integer(run), .text(refusal), .integer(now)])
            return true
        }
    }

    /// The stored run.
    public func run(_ id: RunID) async throws -> RunRecord {
        let location = location
        return try await transaction { db, _ in
            let found = try db.execute("SELECT id, kind, source, destination, parameters, state, note FROM runs WHERE id = $1::bigint",
                                       [.integer(id)])
            guard found.rows == 1 else { throw QueueError(.notFound, "there is no run \(id)", path: location) }
            return RunRecord(id: found.integer(0, 0)!, kind: found.text(0, 1)!, source: found.text(0, 2)!,
                             destination: found.text(0, 3)!, parameters: found.text(0, 4)!,
                             state: RunState(rawValue: found.text(0, 5)!) ?? .planning, note: found.text(0, 6))
        }
    }

    /// The newest unfinished run between these locations.
    public func unfinishedRun(kind: String, source: String, destination: String) async throws -> RunID? {
        try await transaction { db, _ in
            try db.execute("""
                SELECT id FROM runs WHERE source = $1 AND destination = $2 AND kind = $3
                AND state IN ('planning', 'running') ORDER BY id DESC LIMIT 1
                """, [.text(source), .text(destination), .text(kind)]).integer(0, 0)
        }
    }

    /// Runs of `kind` between these locations created at or after `since`, oldest first, in any state.
    public func runs(kind: String, source: String, destination: String, createdSince since: Date) async throws -> [RunID] {
        try await transaction { db, _ in
            let found = try db.execute("""
                SELECT id FROM runs WHERE source = $1 AND destination = $2 AND kind = $3 AND created_at >= $4::bigint ORDER BY id
                """, [.text(source), .text(destination), .text(kind), .integer(QueueTime.milliseconds(since))])
            return (0..<found.rows).map { found.integer($0, 0)! }
        }
    }

    /// Takes the planner's lease when it is free, expired (on the server's clock), already `owner`'s, or
    /// `replacing`'s.
    public func acquirePlanner(run: RunID, owner: String, replacing: String?) async throws -> Bool {
        let lease = QueueTime.milliseconds(settings.leaseDuration)
        return try await transaction { db, now in
            try db.execute("""
                UPDATE runs SET planner = $2, planner_expires_at = $3::bigint + $4::bigint, updated_at = $3::bigint
                WHERE id = $1::bigint AND (planner IS NULL OR planner = $2 OR planner_expires_at < $3::bigint OR planner = $5)
                """, [.integer(run), .text(owner), .integer(now), .integer(lease), .text(replacing)]).changed == 1
        }
    }

    /// The planner holding the run's lease.
    public func planner(of run: RunID) async throws -> String? {
        try await transaction { db, _ in
            try db.execute("SELECT planner FROM runs WHERE id = $1::bigint", [.integer(run)]).text(0, 0)
        }
    }

    /// Records the run's units in order; units already recorded keep their state and place.
    public func addUnits(run: RunID, units: [String]) async throws {
        guard !units.isEmpty else { return }
        try await transaction(planner: true) { db, _ in
            _ = try db.execute("""
                INSERT INTO plan_units (run_id, unit) SELECT $1::bigint, unit FROM unnest($2::text[]) WITH ORDINALITY AS u (unit, n)
                ORDER BY n ON CONFLICT (run_id, unit) DO NOTHING
                """, [.integer(run), .array(units.map { .text($0) })])
        }
    }

    /// Records a fully planned unit.
    public func finishUnit(run: RunID, unit: String, summary: String) async throws {
        try await transaction(planner: true) { db, now in
            _ = try db.execute("""
                INSERT INTO plan_units (run_id, unit, summary, finished_at) VALUES ($1::bigint, $2, $3, $4::bigint)
                ON CONFLICT (run_id, unit) DO UPDATE SET summary = excluded.summary, finished_at = excluded.finished_at
                """, [.integer(run), .text(unit), .text(summary), .integer(now)])
        }
    }

    /// The run's units in insertion order, with their findings.
    public func units(run: RunID) async throws -> [(unit: String, summary: String?)] {
        try await transaction { db, _ in
            let found = try db.execute("SELECT unit, summary FROM plan_units WHERE run_id = $1::bigint ORDER BY position",
                                       [.integer(run)])
            return (0..<found.rows).map { (found.text($0, 0)!, found.text($0, 1)) }
        }
    }

    /// Ready, held and running tasks of one unfinished run (or all), plus those runs still planning.
    public func outstanding(run: RunID?) async throws -> Int {
        try await transaction { db, _ in
            Int(try db.execute("""
                SELECT (SELECT count(*) FROM tasks WHERE state IN ('ready', 'running')
                        AND ($1::bigint IS NULL OR run_id = $1::bigint)
                        AND run_id IN (SELECT id FROM runs WHERE state IN ('planning', 'running')))
                     + (SELECT count(*) FROM runs WHERE state = 'planning' AND ($1::bigint IS NULL OR id = $1::bigint))
                """, [.integer(run)]).integer(0, 0) ?? 0)
        }
    }

    /// Finishes running runs with nothing left to do.
    public func finishIdleRuns() async throws {
        try await transaction(settings: Self.serializable) { db, now in
            _ = try db.execute("""
                UPDATE runs SET state = 'finished', finished_at = $1::bigint, updated_at = $1::bigint
                WHERE state = 'running'
                AND NOT EXISTS (SELECT 1 FROM tasks WHERE run_id = runs.id AND state IN ('ready', 'running'))
                """, [.integer(now)])
        }
    }

    /// Results of the run's finished tasks (and of the parked ones, which count while they wait).
    public func results(run: RunID) async throws -> [(finishedAt: Date, result: [UInt8])] {
        try await transaction { db, _ in
            let found = try db.execute("""
                SELECT coalesce(finished_at, updated_at), result FROM tasks
                WHERE run_id = $1::bigint AND result IS NOT NULL
                AND (state IN ('succeeded', 'dead') OR (state = 'ready' AND waiting IS NOT NULL))
                ORDER BY coalesce(finished_at, updated_at), id
                """, [.integer(run)])
            return (0..<found.rows).map { (QueueTime.date(found.integer($0, 0)!), found.bytes($0, 1)!) }
        }
    }

    // MARK: Waiting for archives

    /// Parks a held task: 'ready' again at `until` with its new payload, what it did so far and the count of objects
    /// it waits for, its attempt not counted. Throws `leaseLost` when the lease is stale.
    /// `until` is on this host's clock: the task is due that long after now on the server's.
    public func park(_ lease: Lease, until: Date, payload: [UInt8], result: [UInt8], waitingFor objects: Int) async throws {
        precondition(objects > 0, "a parked task waits for something")
        let delay = max(QueueTime.milliseconds(until) - QueueTime.milliseconds(hostNow()), 0)
        let lost = try await guarded([lease], set: """
            state = 'ready', attempts = attempts - 1, run_at = $4::bigint + $5::bigint, payload = $6::bytea,
            waiting = $7::integer, result = $8::bytea, updated_at = $4::bigint,
            lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = NULL
            """, extra: [.integer(delay), .bytes(payload), .integer(Int64(objects)), .bytes(result)])
        if let lost = lost.first { throw QueueError.lost(lost, path: location) }
    }

    /// The parked tasks of `run` (or of every run still going): how many, the objects they wait for, the next due.
    public func waiting(run: RunID?) async throws -> Waiting {
        try await transaction { db, _ in try Self.waiting(in: db, run: run) }
    }

    /// `waiting(run:)` on a connection in a transaction.
    static func waiting(in db: PGConnection, run: RunID?) throws -> Waiting {
        let found = try db.execute("""
            SELECT count(*), coalesce(sum(waiting), 0), min(run_at) FROM tasks
            WHERE state = 'ready' AND waiting IS NOT NULL AND ($1::bigint IS NULL OR run_id = $1::bigint)
              AND run_id IN (SELECT id FROM runs WHERE state IN ('planning', 'running'))
            """, [.integer(run)])
        let tasks = Int(found.integer(0, 0) ?? 0)
        return Waiting(tasks: tasks, objects: Int(found.integer(0, 1) ?? 0),
                       nextCheck: tasks == 0 ? nil : found.integer(0, 2).map(QueueTime.date))
    }

    // MARK: Fleet

    /// The fleet's shared backoff as last raised, its moment on this host's clock (the pacer decays it by its own);
    /// nil when S3 never throttled this queue's processes.
    public func throttle() async throws -> FleetThrottle? {
        try await transaction { db, now in try Self.readThrottle(db).map { self.local($0, serverNow: now) } }
    }

    /// `throttle` with its moment moved from the server's clock to this host's.
    private func local(_ throttle: FleetThrottle, serverNow: Int64) -> FleetThrottle {
        FleetThrottle(level: throttle.level, raisedAt: onThisHost(QueueTime.milliseconds(throttle.raisedAt), serverNow: serverNow))
    }

    /// Raises the fleet's backoff after a SlowDown. Raisers on every host take turns on the table (readers are not
    /// held up: a plain SELECT's lock does not conflict with this mode), so concurrent raises count once.
    /// https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
    public func raiseThrottle() async throws -> FleetThrottle {
        try await transaction { db, now in
            try db.execute("LOCK TABLE throttle IN SHARE ROW EXCLUSIVE MODE")
            let current = try Self.readThrottle(db) ?? FleetThrottle(level: 0, raisedAt: .distantPast)
            let raised = current.raised(at: QueueTime.date(now))
            if raised != current {
                try db.execute("""
                    INSERT INTO throttle (id, level, raised_at) VALUES (1, $1::integer, $2::bigint)
                    ON CONFLICT (id) DO UPDATE SET level = excluded.level, raised_at = excluded.raised_at
                    """, [.integer(Int64(raised.level)), .integer(QueueTime.milliseconds(raised.raisedAt))])
            }
            return self.local(raised, serverNow: now)
        }
    }

    private static func readThrottle(_ db: PGConnection) throws -> FleetThrottle? {
        let found = try db.execute("SELECT level, raised_at FROM throttle WHERE id = 1")
        guard found.rows == 1 else { return nil }
        return FleetThrottle(level: Int(found.integer(0, 0)!), raisedAt: QueueTime.date(found.integer(0, 1)!))
    }
}
