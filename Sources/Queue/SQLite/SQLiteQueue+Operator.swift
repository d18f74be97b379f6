import Foundation

extension SQLiteQueue {
    /// Runs, newest first, with tasks by state, the age of the oldest due task and recent throughput.
    public func runs(limit: Int) async throws -> [RunSummary] {
        let now = now()
        return try await perform { db in
            let runs = try db.prepare("""
                SELECT id, kind, source, destination, state, note, created_at, finished_at, request_retries, throttled_requests
                FROM runs ORDER BY id DESC LIMIT ?1
                """)
            let counts = try db.prepare("SELECT state, count(*) FROM tasks WHERE run_id = ?1 GROUP BY state")
            let oldest = try db.prepare("SELECT min(run_at) FROM tasks WHERE run_id = ?1 AND state = 'ready' AND run_at <= ?2")
            // Every attempt beyond a task's first, earlier rounds (before a `retry`) included.
            let retries = try db.prepare("""
                SELECT coalesce(sum(earlier_attempts + attempts - 1), 0) FROM tasks
                WHERE run_id = ?1 AND earlier_attempts + attempts > 1
                """)
            let recent = try db.prepare("""
                SELECT count(*) FROM tasks WHERE run_id = ?1 AND state IN ('succeeded', 'dead') AND finished_at >= ?2
                """)

            return try runs.bind(.integer(Int64(limit))).rows { row in
                RunSummary(id: row.int64(0), kind: row.text(1), source: row.text(2), destination: row.text(3),
                           state: RunState(rawValue: row.text(4)) ?? .planning, note: row.optionalText(5),
                           createdAt: QueueTime.date(row.int64(6)), finishedAt: row.optionalInt64(7).map(QueueTime.date),
                           tasks: [:], oldestReadySeconds: nil, tasksPerMinute: 0,
                           requestRetries: Int(row.int64(8)), throttledRequests: Int(row.int64(9)))
            }.map { summary in
                var summary = summary
                summary.tasks = Dictionary(uniqueKeysWithValues: TaskState.allCases.map { ($0.rawValue, 0) })
                for (state, count) in try counts.bind(.integer(summary.id)).rows({ ($0.text(0), Int($0.int64(1))) }) {
                    summary.tasks[state] = count
                }
                summary.oldestReadySeconds = try oldest.bind(.integer(summary.id), .integer(now))
                    .rows { $0.optionalInt64(0) }.first!.map { Double(now - $0) / 1000 }
                let finished = try recent.bind(.integer(summary.id), .integer(now - 300_000)).rows { $0.int64(0) }.first!
                summary.tasksPerMinute = Double(finished) / 5
                summary.retries = Int(try retries.bind(.integer(summary.id)).rows { $0.int64(0) }.first ?? 0)
                summary.waiting = try Self.waiting(in: db, run: summary.id)
                return summary
            }
        }
    }

    /// Cancels a run that is still planning or running, in one transaction: its unclaimed tasks are removed (tasks
    /// a worker holds finish, nothing new starts), the planner's lease is freed, and the run is never resumed.
    /// Returns the state the run was in and how many tasks were removed; a finished or cancelled run is left as it
    /// is. Throws `notFound` for an unknown run.
    public func cancel(run: RunID, note: String) async throws -> (previous: RunState, removedTasks: Int) {
        let now = now()
        return try await perform { db in
            try db.writeTransaction {
                let found = try db.prepare("SELECT state FROM runs WHERE id = ?1").bind(.integer(run)).rows { $0.text(0) }
                guard let text = found.first, let previous = RunState(rawValue: text) else {
                    throw QueueError(.notFound, "there is no run \(run) (`s3backup status` lists the runs)", path: db.path)
                }
                guard previous == .planning || previous == .running else { return (previous, 0) }
                try db.prepare("DELETE FROM tasks WHERE run_id = ?1 AND state = 'ready'").bind(.integer(run)).run()
                let removed = db.changes
                try db.prepare("""
                    UPDATE runs SET state = 'cancelled', note = ?2, planner = NULL, planner_expires_at = NULL, updated_at = ?3,
                        finished_at = ?3 WHERE id = ?1
                    """).bind(.integer(run), .text(note), .integer(now)).run()
                return (previous, removed)
            }
        }
    }

    /// Dead tasks with their failed objects, oldest first. A task's objects are those that failed in the last
    /// attempt that recorded failures (an object an earlier attempt failed on and a later one copied is done),
    /// each once, with the attempts it failed in and its last error. Failures recorded before schema 5 have no
    /// attempt number: they count as earlier than any numbered one.
    public func deadTasks(run: RunID?) async throws -> [DeadTask] {
        try await perform { db in
            let failures = try db.prepare("""
                SELECT subject, count(*),
                       (SELECT error FROM task_failures AS latest WHERE latest.task_id = ?1 AND latest.subject = f.subject
                        ORDER BY rowid DESC LIMIT 1)
                FROM task_failures AS f WHERE task_id = ?1
                GROUP BY subject
                HAVING max(coalesce(attempt, 0)) = (SELECT max(coalesce(attempt, 0)) FROM task_failures WHERE task_id = ?1)
                ORDER BY min(rowid)
                """)
            return try db.prepare("""
                SELECT id, run_id, kind, earlier_attempts + attempts, last_error, finished_at FROM tasks
                WHERE state = 'dead' AND (?1 IS NULL OR run_id = ?1) ORDER BY id
                """).bind(run.map { .integer($0) } ?? .null).rows { row in
                DeadTask(id: row.int64(0), run: row.int64(1), kind: row.text(2), attempts: Int(row.int64(3)),
                         lastError: row.optionalText(4), finishedAt: row.optionalInt64(5).map(QueueTime.date), failures: [])
            }.map { task in
                var task = task
                task.failures = try failures.bind(.integer(task.id)).rows {
                    DeadTask.Failure(subject: $0.text(0), error: $0.text(2), attempts: Int($0.int64(1)))
                }
                return task
            }
        }
    }

    /// The tasks workers hold now, by worker and claim.
    public func held(run: RunID?) async throws -> [HeldTask] {
        try await perform { db in
            try db.prepare("""
                SELECT id, run_id, kind, lease_owner, attempts, claimed_at, heartbeat_at, lease_expires_at FROM tasks
                WHERE state = 'running' AND (?1 IS NULL OR run_id = ?1) ORDER BY lease_owner, claimed_at, id
                """).bind(run.map { .integer($0) } ?? .null).rows { row in
                HeldTask(task: row.int64(0), run: row.int64(1), kind: row.text(2), owner: row.text(3), attempt: Int(row.int64(4)),
                         claimedAt: row.optionalInt64(5).map(QueueTime.date), heartbeatAt: row.optionalInt64(6).map(QueueTime.date),
                         expiresAt: QueueTime.date(row.int64(7)))
            }
        }
    }

    /// The S3 requests made for `run`, by operation.
    public func requests(run: RunID) async throws -> [String: Int] {
        try await perform { db in
            let rows = try db.prepare("SELECT operation, sent FROM run_requests WHERE run_id = ?1").bind(.integer(run)).rows {
                ($0.text(0), Int($0.int64(1)))
            }
            return Dictionary(rows, uniquingKeysWith: +)
        }
    }

    /// Dead tasks back to ready with a fresh round of attempts; their runs are running again. The round's
    /// attempts move to `earlier_attempts` and its failures stay, so the books keep what happened.
    public func retry(run: RunID?, tasks: [TaskID]?) async throws -> Int {
        let now = now()
        let ids = tasks.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }
        return try await perform { db in
            try db.writeTransaction {
                // The chosen tasks: all dead ones, those of one run, or the listed ids (a JSON array).
                let chosen = """
                    SELECT id FROM tasks WHERE state = 'dead' AND (?1 IS NULL OR run_id = ?1)
                    AND (?2 IS NULL OR id IN (SELECT value FROM json_each(?2)))
                    """
                let bindings: [Statement.Value] = [run.map { .integer($0) } ?? .null, ids.map { .text($0) } ?? .null]
                try db.prepare("""
                    UPDATE runs SET state = 'running', finished_at = NULL, updated_at = ?3
                    WHERE state = 'finished' AND id IN (SELECT run_id FROM tasks WHERE id IN (\(chosen)))
                    """).bind(bindings + [.integer(now)]).run()
                try db.prepare("""
                    UPDATE tasks SET state = 'ready', earlier_attempts = earlier_attempts + attempts, attempts = 0, run_at = ?3,
                        finished_at = NULL, updated_at = ?3
                    WHERE id IN (\(chosen))
                    """).bind(bindings + [.integer(now)]).run()
                return db.changes
            }
        }
    }
}
