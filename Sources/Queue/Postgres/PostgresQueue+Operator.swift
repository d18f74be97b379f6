import Foundation

extension PostgresQueue {
    /// Runs, newest first, with tasks by state, the age of the oldest due task and recent throughput.
    public func runs(limit: Int) async throws -> [RunSummary] {
        try await transaction { db, now in
            let runs = try db.execute("""
                SELECT id, kind, source, destination, state, note, created_at, finished_at, request_retries, throttled_requests,
                    (SELECT min(run_at) FROM tasks WHERE run_id = runs.id AND state = 'ready' AND run_at <= $2::bigint),
                    (SELECT count(*) FROM tasks WHERE run_id = runs.id AND state IN ('succeeded', 'dead')
                        AND finished_at >= $2::bigint - 300000),
                    -- Every attempt beyond a task's first, earlier rounds (before a `retry`) included.
                    (SELECT coalesce(sum(earlier_attempts + attempts - 1), 0) FROM tasks
                        WHERE run_id = runs.id AND earlier_attempts + attempts > 1)
                FROM runs ORDER BY id DESC LIMIT $1::bigint
                """, [.integer(Int64(limit)), .integer(now)])
            return try (0..<runs.rows).map { row in
                let id = runs.integer(row, 0)!
                var summary = RunSummary(
                    id: id, kind: runs.text(row, 1)!, source: runs.text(row, 2)!, destination: runs.text(row, 3)!,
                    state: RunState(rawValue: runs.text(row, 4)!) ?? .planning, note: runs.text(row, 5),
                    createdAt: QueueTime.date(runs.integer(row, 6)!), finishedAt: runs.integer(row, 7).map(QueueTime.date),
                    tasks: Dictionary(uniqueKeysWithValues: TaskState.allCases.map { ($0.rawValue, 0) }),
                    oldestReadySeconds: runs.integer(row, 10).map { Double(now - $0) / 1000 },
                    tasksPerMinute: Double(runs.integer(row, 11)!) / 5,
                    requestRetries: Int(runs.integer(row, 8)!), throttledRequests: Int(runs.integer(row, 9)!))
                summary.retries = Int(runs.integer(row, 12)!)
                let counts = try db.execute("SELECT state, count(*) FROM tasks WHERE run_id = $1::bigint GROUP BY state",
                                            [.integer(id)])
                for index in 0..<counts.rows { summary.tasks[counts.text(index, 0)!] = Int(counts.integer(index, 1)!) }
                summary.waiting = try Self.waiting(in: db, run: id)
                return summary
            }
        }
    }

    /// Cancels a run that is still planning or running, in one transaction (the run's row locked meanwhile): its
    /// unclaimed tasks are removed, the planner's lease is freed, and the run is never resumed.
    public func cancel(run: RunID, note: String) async throws -> (previous: RunState, removedTasks: Int) {
        let location = location
        return try await transaction(settings: Self.serializable) { db, now in
            let found = try db.execute("SELECT state FROM runs WHERE id = $1::bigint FOR UPDATE", [.integer(run)])
            guard found.rows == 1, let previous = found.text(0, 0).flatMap(RunState.init(rawValue:)) else {
                throw QueueError(.notFound, "there is no run \(run) (`s3backup status` lists the runs)", path: location)
            }
            guard previous == .planning || previous == .running else { return (previous, 0) }
            let removed = try db.execute("DELETE FROM tasks WHERE run_id = $1::bigint AND state = 'ready'", [.integer(run)]).changed
            try db.execute("""
                UPDATE runs SET state = 'cancelled', note = $2, planner = NULL, planner_expires_at = NULL, updated_at = $3::bigint,
                    finished_at = $3::bigint WHERE id = $1::bigint
                """, [.integer(run), .text(note), .integer(now)])
            return (previous, removed)
        }
    }

    /// The tasks workers hold now, by worker and claim.
    public func held(run: RunID?) async throws -> [HeldTask] {
        try await transaction { db, _ in
            let rows = try db.execute("""
                SELECT id, run_id, kind, lease_owner, attempts, claimed_at, heartbeat_at, lease_expires_at FROM tasks
                WHERE state = 'running' AND ($1::bigint IS NULL OR run_id = $1::bigint) ORDER BY lease_owner, claimed_at, id
                """, [.integer(run)])
            return (0..<rows.rows).map { row in
                HeldTask(task: rows.integer(row, 0)!, run: rows.integer(row, 1)!, kind: rows.text(row, 2)!, owner: rows.text(row, 3)!,
                         attempt: Int(rows.integer(row, 4)!), claimedAt: rows.integer(row, 5).map(QueueTime.date),
                         heartbeatAt: rows.integer(row, 6).map(QueueTime.date), expiresAt: QueueTime.date(rows.integer(row, 7)!))
            }
        }
    }

    /// The S3 requests made for `run`, by operation.
    public func requests(run: RunID) async throws -> [String: Int] {
        try await transaction { db, _ in
            let rows = try db.execute("SELECT operation, sent FROM run_requests WHERE run_id = $1::bigint", [.integer(run)])
            return Dictionary((0..<rows.rows).map { (rows.text($0, 0)!, Int(rows.integer($0, 1)!)) }, uniquingKeysWith: +)
        }
    }

    /// Dead tasks with their failed objects, oldest first: each object once, from the last attempt that recorded
    /// failures, with the attempts it failed in and its last error.
    public func deadTasks(run: RunID?) async throws -> [DeadTask] {
        try await transaction { db, _ in
            let tasks = try db.execute("""
                SELECT id, run_id, kind, earlier_attempts + attempts, last_error, finished_at FROM tasks
                WHERE state = 'dead' AND ($1::bigint IS NULL OR run_id = $1::bigint) ORDER BY id
                """, [.integer(run)])
            return try (0..<tasks.rows).map { row in
                let id = tasks.integer(row, 0)!
                let failures = try db.execute("""
                    SELECT subject, count(*),
                           (SELECT error FROM task_failures AS latest WHERE latest.task_id = $1::bigint
                            AND latest.subject = f.subject ORDER BY id DESC LIMIT 1)
                    FROM task_failures AS f WHERE task_id = $1::bigint
                    GROUP BY subject
                    HAVING max(attempt) = (SELECT max(attempt) FROM task_failures WHERE task_id = $1::bigint)
                    ORDER BY min(id)
                    """, [.integer(id)])
                return DeadTask(id: id, run: tasks.integer(row, 1)!, kind: tasks.text(row, 2)!,
                                attempts: Int(tasks.integer(row, 3)!), lastError: tasks.text(row, 4),
                                finishedAt: tasks.integer(row, 5).map(QueueTime.date),
                                failures: (0..<failures.rows).map {
                                    DeadTask.Failure(subject: failures.text($0, 0)!, error: failures.text($0, 2)!,
                                                     attempts: Int(failures.integer($0, 1)!))
                                })
            }
        }
    }

    /// Dead tasks back to ready with a fresh round of attempts; their runs are running again.
    public func retry(run: RunID?, tasks: [TaskID]?) async throws -> Int {
        try await transaction(settings: Self.serializable) { db, now in
            // The chosen tasks: all dead ones, those of one run, or the listed ids.
            let chosen = """
                SELECT id FROM tasks WHERE state = 'dead' AND ($1::bigint IS NULL OR run_id = $1::bigint)
                AND ($2::bigint[] IS NULL OR id = ANY ($2::bigint[]))
                """
            let bindings: [PGValue] = [.integer(run), tasks.map { .array($0.map { .integer($0) }) } ?? .null, .integer(now)]
            try db.execute("""
                UPDATE runs SET state = 'running', finished_at = NULL, updated_at = $3::bigint
                WHERE state = 'finished' AND id IN (SELECT run_id FROM tasks WHERE id IN (\(chosen)))
                """, bindings)
            return try db.execute("""
                UPDATE tasks SET state = 'ready', earlier_attempts = earlier_attempts + attempts, attempts = 0,
                    run_at = $3::bigint, finished_at = NULL, updated_at = $3::bigint
                WHERE id IN (\(chosen))
                """, bindings).changed
        }
    }

    /// Deletes finished and cancelled runs older than `cutoff` with their tasks, 5,000 tasks a transaction so no
    /// writer waits long. The space is PostgreSQL's to reuse: autovacuum marks the dead rows free for new ones.
    /// https://www.postgresql.org/docs/current/routine-vacuuming.html
    public func prune(finishedBefore cutoff: Date) async throws -> Int {
        let cutoff = QueueTime.milliseconds(cutoff), batch = QueueTime.pruneBatch
        let expired = try await transaction { db, _ in
            let found = try db.execute("SELECT id FROM runs WHERE state IN ('finished', 'cancelled') AND finished_at < $1::bigint",
                                       [.integer(cutoff)])
            return (0..<found.rows).map { found.integer($0, 0)! }
        }
        // Each delete re-checks the run: `retry` may reopen it while pruning goes on.
        let stillExpired = """
            (SELECT 1 FROM runs WHERE id = $1::bigint AND state IN ('finished', 'cancelled') AND finished_at < $2::bigint)
            """
        for run in expired {
            while try await transaction(settings: Self.serializable, { db, _ in
                try db.execute("""
                    DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE run_id = $1::bigint LIMIT \(batch))
                    AND EXISTS \(stillExpired)
                    """, [.integer(run), .integer(cutoff)]).changed == batch
            }) {}
            try await transaction(settings: Self.serializable) { db, _ in
                _ = try db.execute("DELETE FROM runs WHERE id = $1::bigint AND EXISTS \(stillExpired)", [.integer(run), .integer(cutoff)])
            }
        }
        return expired.count
    }

    // MARK: Catalog

    /// Completes one task and applies `catalog` in the same transaction; false when the lease was lost.
    public func complete(_ lease: Lease, result: [UInt8]?, catalog: CatalogChanges) async throws -> Bool {
        try await transaction { db, now in
            let completed = try db.execute("""
                UPDATE tasks SET state = 'succeeded', result = $5::bytea, finished_at = $4::bigint, updated_at = $4::bigint,
                    lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = NULL
                WHERE id = $1::bigint AND state = 'running' AND lease_owner = $2 AND lease_token = $3::bigint
                """, Self.key(lease) + [.integer(now), .bytes(result)]).changed
            guard completed == 1 else { return false }
            try Self.apply(catalog, in: db, at: now)
            return true
        }
    }

    /// Applies `catalog` while `lease` is held (the task's row locked meanwhile); throws `leaseLost` when it is not.
    public func record(_ catalog: CatalogChanges, holding lease: Lease) async throws {
        guard !catalog.isEmpty else { return }
        let location = location
        try await transaction { db, now in
            let held = try db.execute("""
                SELECT 1 FROM tasks WHERE id = $1::bigint AND state = 'running' AND lease_owner = $2 AND lease_token = $3::bigint
                FOR UPDATE
                """, Self.key(lease))
            guard held.rows == 1 else { throw QueueError.lost(lease, path: location) }
            try Self.apply(catalog, in: db, at: now)
        }
    }

    /// Writes catalog rows outside any task.
    public func record(_ catalog: CatalogChanges) async throws {
        guard !catalog.isEmpty else { return }
        try await transaction { db, now in try Self.apply(catalog, in: db, at: now) }
    }

    /// Up to `limit` rows of `pair` from `key` on, in key byte order (the columns are COLLATE "C"), off the primary key.
    public func catalog(pair: String, from key: String, limit: Int) async throws -> [CatalogEntry] {
        precondition(limit >= 1, "a window of at least one row")
        return try await transaction { db, _ in
            let rows = try db.execute("""
                SELECT \(SQLiteQueue.catalogColumns) FROM catalog WHERE pair = $1 AND key >= $2 ORDER BY key LIMIT $3::bigint
                """, [.text(pair), .text(key), .integer(Int64(limit))])
            return Self.entries(pair, rows)
        }
    }

    /// Up to `limit` rows of `pair` after `key` whose lock is due before `before` or unknown, off the primary key.
    public func locksDue(pair: String, before: Date, after key: String?, limit: Int) async throws -> [CatalogEntry] {
        precondition(limit >= 1, "a window of at least one row")
        return try await transaction { db, _ in
            Self.entries(pair, try db.execute("""
                SELECT \(SQLiteQueue.catalogColumns) FROM catalog
                WHERE pair = $1 AND key > $2 AND (retain_until IS NULL OR retain_until < $3::bigint) ORDER BY key LIMIT $4::bigint
                """, [.text(pair), .text(key ?? ""), .integer(QueueTime.milliseconds(before)), .integer(Int64(limit))]))
        }
    }

    /// Up to `limit` delete markers of `pair` after `marker`, in key byte order and then by version id, off the
    /// primary key (a row constructor comparison:
    /// https://www.postgresql.org/docs/current/functions-comparisons.html#ROW-WISE-COMPARISON).
    public func deleteMarkers(pair: String, after marker: (key: String, version: String)?, limit: Int) async throws
        -> [(key: String, version: String)] {
        precondition(limit >= 1, "a window of at least one row")
        return try await transaction { db, _ in
            let rows = try db.execute("""
                SELECT key, version FROM delete_markers WHERE pair = $1 AND (key, version) > ($2, $3)
                ORDER BY key, version LIMIT $4::bigint
                """, [.text(pair), .text(marker?.key ?? ""), .text(marker?.version ?? ""), .integer(Int64(limit))])
            return (0..<rows.rows).map { (rows.text($0, 0)!, rows.text($0, 1)!) }
        }
    }

    /// When migration 3 ran on this queue's database.
    public func deleteMarkersRecordedSince() async throws -> Date {
        try await transaction { db, _ in
            QueueTime.date(try db.execute("SELECT since FROM delete_markers_since").integer(0, 0) ?? 0)
        }
    }

    /// The catalog rows of `rows` (`SQLiteQueue.catalogColumns`, in that order).
    private static func entries(_ pair: String, _ rows: PGResult) -> [CatalogEntry] {
        (0..<rows.rows).map { row in
            CatalogEntry(pair: pair, key: rows.text(row, 0)!, size: rows.integer(row, 1)!, sourceETag: rows.text(row, 2)!,
                         sourceVersion: rows.text(row, 3), sourceChecksum: rows.text(row, 4), backupETag: rows.text(row, 5)!,
                         backupVersion: rows.text(row, 6), rule: CatalogEntry.Rule(rawValue: rows.text(row, 7)!) ?? .copied,
                         retainUntil: rows.integer(row, 8).map(QueueTime.date))
        }
    }

    /// Writes and removes rows inside a transaction, each in one statement. A key recorded twice keeps its last row
    /// (one upsert cannot change a row twice).
    static func apply(_ catalog: CatalogChanges, in db: PGConnection, at now: Int64) throws {
        var last: [[UInt8]: Int] = [:]  // by bytes: canonically equivalent Strings are equal, S3 keys are not
        for (index, entry) in catalog.recorded.enumerated() { last[Array(entry.key.utf8)] = index }
        let rows = catalog.recorded.indices.filter { last[Array(catalog.recorded[$0].key.utf8)] == $0 }.map { catalog.recorded[$0] }
        if !rows.isEmpty {
            try db.execute("""
                INSERT INTO catalog (pair, key, size, source_etag, source_version, source_checksum, backup_etag, backup_version,
                                     rule, recorded_at, retain_until)
                SELECT $1, key, size, source_etag, source_version, source_checksum, backup_etag, backup_version, rule, $2::bigint,
                    retain_until
                FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                            $11::bigint[])
                    AS r (key, size, source_etag, source_version, source_checksum, backup_etag, backup_version, rule, retain_until)
                ON CONFLICT (pair, key) DO UPDATE SET size = excluded.size, source_etag = excluded.source_etag,
                    source_version = excluded.source_version, source_checksum = excluded.source_checksum,
                    backup_etag = excluded.backup_etag, backup_version = excluded.backup_version, rule = excluded.rule,
                    recorded_at = excluded.recorded_at, retain_until = excluded.retain_until
                """, [.text(catalog.pair), .integer(now), .array(rows.map { .text($0.key) }), .array(rows.map { .integer($0.size) }),
                      .array(rows.map { .text($0.sourceETag) }), .array(rows.map { .text($0.sourceVersion) }),
                      .array(rows.map { .text($0.sourceChecksum) }), .array(rows.map { .text($0.backupETag) }),
                      .array(rows.map { .text($0.backupVersion) }), .array(rows.map { .text($0.rule.rawValue) }),
                      .array(rows.map { .integer($0.retainUntil.map(QueueTime.milliseconds)) })])
        }
        if !catalog.extended.isEmpty {
            // Only ever later, and only on the version locked: a row a copy replaced meanwhile keeps its own date.
            try db.execute("""
                UPDATE catalog c SET retain_until = r.until
                FROM unnest($2::text[], $3::text[], $4::bigint[]) AS r (key, version, until)
                WHERE c.pair = $1 AND c.key = r.key AND c.backup_version IS NOT DISTINCT FROM r.version
                    AND (c.retain_until IS NULL OR c.retain_until < r.until)
                """, [.text(catalog.pair), .array(catalog.extended.map { .text($0.key) }),
                      .array(catalog.extended.map { .text($0.backupVersion) }), .array(catalog.extended.map { .integer(QueueTime.milliseconds($0.retainUntil)) })])
        }
        if !catalog.markers.isEmpty {
            try db.execute("""
                INSERT INTO delete_markers (pair, key, version, placed_at)
                SELECT $1, key, version, $2::bigint FROM unnest($3::text[], $4::text[]) AS m (key, version)
                ON CONFLICT DO NOTHING
                """, [.text(catalog.pair), .integer(now), .array(catalog.markers.map { .text($0.key) }),
                      .array(catalog.markers.map { .text($0.version) })])
        }
        if !catalog.removed.isEmpty {
            try db.execute("DELETE FROM catalog WHERE pair = $1 AND key = ANY ($2::text[])",
                           [.text(catalog.pair), .array(catalog.removed.map { .text($0) })])
        }
    }
}
