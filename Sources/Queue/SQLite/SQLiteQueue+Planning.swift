import Foundation

extension SQLiteQueue {
    /// The not-before time of a held task: never, until released.
    static let heldUntil = Int64.max

    /// Deletes the unit's unclaimed tasks, held or ready.
    public func discardUnclaimed(run: RunID, unit: String) async throws {
        _ = try await write("DELETE FROM tasks WHERE run_id = ?1 AND unit = ?2 AND state = 'ready'", [.integer(run), .text(unit)])
    }

    /// Ends planning atomically, if `owner` still holds the planner's lease.
    public func completePlanning(run: RunID, owner: String, refusal: String?) async throws -> Bool {
        let now = now()
        return try await perform { db in
            try db.writeTransaction {
                let holder = try db.prepare("SELECT planner FROM runs WHERE id = ?1").bind(.integer(run)).rows { $0.optionalText(0) }
                guard holder.first == owner else { return false }
                if refusal == nil {
                    try db.prepare("UPDATE tasks SET run_at = ?3, updated_at = ?3 WHERE run_id = ?1 AND state = 'ready' AND run_at = ?2")
                        .bind(.integer(run), .integer(Self.heldUntil), .integer(now)).run()
                } else {
                    try db.prepare("DELETE FROM tasks WHERE run_id = ?1 AND state = 'ready' AND run_at = ?2")
                        .bind(.integer(run), .integer(Self.heldUntil)).run()
                }
                try db.prepare("""
                    UPDATE runs SET state = 'running', note = ?2, planner = NULL, planner_expires_at = NULL, updated_at = ?3
                    WHERE id = ?1
                    """).bind(.integer(run), refusal.map { .text($0) } ?? .null, .integer(now)).run()
                return true
            }
        }
    }

    /// The stored run.
    public func run(_ id: RunID) async throws -> RunRecord {
        try await perform { db in
            let found = try db.prepare("""
                SELECT id, kind, source, destination, parameters, state, note FROM runs WHERE id = ?1
                """).bind(.integer(id)).rows { row in
                RunRecord(id: row.int64(0), kind: row.text(1), source: row.text(2), destination: row.text(3),
                          parameters: row.text(4), state: RunState(rawValue: row.text(5)) ?? .planning,
                          note: row.optionalText(6))
            }
            guard let record = found.first else { throw QueueError(.notFound, "there is no run \(id)", path: db.path) }
            return record
        }
    }

    /// The newest unfinished run between these locations.
    public func unfinishedRun(kind: String, source: String, destination: String) async throws -> RunID? {
        try await perform { db in
            try db.prepare("""
                SELECT id FROM runs WHERE source = ?1 AND destination = ?2 AND kind = ?3
                AND state IN ('planning', 'running') ORDER BY id DESC LIMIT 1
                """).bind(.text(source), .text(destination), .text(kind)).rows { $0.int64(0) }.first
        }
    }

    /// Runs of `kind` between these locations created at or after `since`, oldest first, in any state.
    public func runs(kind: String, source: String, destination: String, createdSince since: Date) async throws -> [RunID] {
        try await perform { db in
            try db.prepare("""
                SELECT id FROM runs WHERE source = ?1 AND destination = ?2 AND kind = ?3 AND created_at >= ?4 ORDER BY id
                """).bind(.text(source), .text(destination), .text(kind), .integer(QueueTime.milliseconds(since)))
                .rows { $0.int64(0) }
        }
    }

    /// Takes the planner's lease when it is free, expired, already `owner`'s, or `replacing`'s.
    public func acquirePlanner(run: RunID, owner: String, replacing: String?) async throws -> Bool {
        let now = now(), lease = QueueTime.milliseconds(settings.leaseDuration)
        return try await write("""
            UPDATE runs SET planner = ?2, planner_expires_at = ?3 + ?4, updated_at = ?3
            WHERE id = ?1 AND (planner IS NULL OR planner = ?2 OR planner_expires_at < ?3 OR planner = ?5)
            """, [.integer(run), .text(owner), .integer(now), .integer(lease), replacing.map { .text($0) } ?? .null]) == 1
    }

    /// The planner holding the run's lease.
    public func planner(of run: RunID) async throws -> String? {
        try await perform { db in
            try db.prepare("SELECT planner FROM runs WHERE id = ?1").bind(.integer(run)).rows { $0.optionalText(0) }.first ?? nil
        }
    }

    /// Records the run's units; units already recorded keep their state.
    public func addUnits(run: RunID, units: [String]) async throws {
        try await perform { db in
            try db.writeTransaction {
                let insert = try db.prepare("""
                    INSERT INTO plan_units (run_id, unit, summary, finished_at) VALUES (?1, ?2, NULL, NULL)
                    ON CONFLICT (run_id, unit) DO NOTHING
                    """)
                for unit in units { try insert.bind(.integer(run), .text(unit)).run() }
            }
        }
    }

    /// Records a fully planned unit.
    public func finishUnit(run: RunID, unit: String, summary: String) async throws {
        let now = now()
        _ = try await write("""
            INSERT INTO plan_units (run_id, unit, summary, finished_at) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (run_id, unit) DO UPDATE SET summary = excluded.summary, finished_at = excluded.finished_at
            """, [.integer(run), .text(unit), .text(summary), .integer(now)])
    }

    /// The run's units in insertion order, with their findings.
    public func units(run: RunID) async throws -> [(unit: String, summary: String?)] {
        try await perform { db in
            try db.prepare("SELECT unit, summary FROM plan_units WHERE run_id = ?1 ORDER BY rowid")
                .bind(.integer(run)).rows { ($0.text(0), $0.optionalText(1)) }
        }
    }

    /// Ready, held and running tasks of one unfinished run (or all), plus those runs still planning.
    public func outstanding(run: RunID?) async throws -> Int {
        try await perform { db in
            Int(try db.prepare("""
                SELECT (SELECT count(*) FROM tasks WHERE state IN ('ready', 'running') AND (?1 IS NULL OR run_id = ?1)
                        AND run_id IN (SELECT id FROM runs WHERE state IN ('planning', 'running')))
                     + (SELECT count(*) FROM runs WHERE state = 'planning' AND (?1 IS NULL OR id = ?1))
                """).bind(run.map { .integer($0) } ?? .null).rows { $0.int64(0) }.first ?? 0)
        }
    }

    /// Finishes running runs with nothing left to do.
    public func finishIdleRuns() async throws {
        let now = now()
        _ = try await write("""
            UPDATE runs SET state = 'finished', finished_at = ?1, updated_at = ?1
            WHERE state = 'running' AND NOT EXISTS (SELECT 1 FROM tasks WHERE run_id = runs.id AND state IN ('ready', 'running'))
            """, [.integer(now)])
    }

    /// Results of the run's succeeded tasks.
    public func results(run: RunID) async throws -> [(finishedAt: Date, result: [UInt8])] {
        try await perform { db in
            try db.prepare("""
                SELECT coalesce(finished_at, updated_at), result FROM tasks
                WHERE run_id = ?1 AND result IS NOT NULL AND (state IN ('succeeded', 'dead') OR (state = 'ready' AND waiting IS NOT NULL))
                ORDER BY coalesce(finished_at, updated_at), id
                """).bind(.integer(run)).rows { (QueueTime.date($0.int64(0)), $0.blob(1)) }
        }
    }

    /// One write statement in its own transaction; returns the rows it changed.
    func write(_ sql: String, _ values: [Statement.Value]) async throws -> Int {
        try await perform { db in
            try db.writeTransaction {
                try db.prepare(sql).bind(values).run()
                return db.changes
            }
        }
    }
}
