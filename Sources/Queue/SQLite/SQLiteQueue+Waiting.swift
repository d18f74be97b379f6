import Foundation

extension SQLiteQueue {
    /// Parks a held task: 'ready' again at `until` with its new payload, what it did so far and the count of objects
    /// it waits for, its attempt not counted (waiting is not failing). Throws `leaseLost` when the lease is stale.
    public func park(_ lease: Lease, until: Date, payload: [UInt8], result: [UInt8], waitingFor objects: Int) async throws {
        precondition(objects > 0, "a parked task waits for something")
        let now = now(), due = QueueTime.milliseconds(until)
        let lost = try await guarded([lease], """
            UPDATE tasks SET state = 'ready', attempts = attempts - 1, run_at = ?5, payload = ?6, waiting = ?7, result = ?8,
                updated_at = ?4, lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = NULL
            WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND lease_token = ?3
            """) { _ in [.integer(now), .integer(max(due, now)), .blob(payload), .integer(Int64(objects)), .blob(result)] }
        if let lost = lost.first { throw QueueError.lost(lost, path: path) }
    }

    /// The parked tasks of `run` (or of every run still going): how many, the objects they wait for, the next due.
    public func waiting(run: RunID?) async throws -> Waiting {
        try await perform { db in try Self.waiting(in: db, run: run) }
    }

    /// `waiting(run:)` on a connection in hand.
    static func waiting(in db: Connection, run: RunID?) throws -> Waiting {
        try db.prepare("""
            SELECT count(*), coalesce(sum(waiting), 0), min(run_at) FROM tasks
            WHERE state = 'ready' AND waiting IS NOT NULL AND (?1 IS NULL OR run_id = ?1)
              AND run_id IN (SELECT id FROM runs WHERE state IN ('planning', 'running'))
            """).bind(run.map { .integer($0) } ?? .null).rows { row in
            Waiting(tasks: Int(row.int64(0)), objects: Int(row.int64(1)), nextCheck: row.int64(0) == 0 ? nil : QueueTime.date(row.int64(2)))
        }.first ?? Waiting()
    }
}
