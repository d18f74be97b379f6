import CSQLite
import Foundation
@testable import Queue
import TestSupport
import Testing

/// The queue keeps true books: run ids are never handed out twice, `retry` keeps the attempts it gives back, each
/// failed object is named once, and request retries add up per run whatever became of their tasks.
@Suite("Queue books, on SQLite and PostgreSQL", .timeLimit(.minutes(2)))
struct BooksTests {
    let directory: TemporaryDirectory
    let clock = TestClock()

    init() throws { directory = try TemporaryDirectory() }

    func open() throws -> SQLiteQueue { try SQLiteQueue(path: directory.file("queue.db"), clock: clock.function) }

    /// Finishes `run` by claiming and completing each of its tasks.
    private func finish(_ queue: any TaskQueue, _ run: RunID) async throws {
        for task in try await queue.claim(worker: "w", limit: 100, run: run) { try await queue.complete(task.lease) }
        try await queue.setRunState(run, .finished, note: nil)
    }

    /// Pruning every run leaves no row to take the next id from; the next run still gets a new one (SQLite's
    /// `INTEGER PRIMARY KEY` alone would give "run 1" again, a number reports and mails have already used).
    @Test(arguments: Backend.allCases) func runIdsAreNeverReusedAfterPruningEveryRun(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try place.open(clock: clock)
        var ids: [RunID] = []
        for _ in 0..<3 {
            let run = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
            try await queue.enqueue(tasks(2), run: run)
            try await finish(queue, run)
            ids.append(run)
        }
        clock.advance(.seconds(60))
        #expect(try await queue.prune(finishedBefore: clock.date) == 3)
        #expect(try await queue.runs(limit: 10).isEmpty)
        let next = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        #expect(next > ids.max()!, "run \(next) after runs \(ids) were pruned")
        // Another process (its own connection) sees the same sequence.
        let other = try place.open(clock: clock)
        #expect(try await other.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}") == next + 1)
    }

    /// A round given back by `retry` stays on the books: the run's retries count its attempts, the task's attempts
    /// add up over the rounds, and the worker learns of the earlier round (so it checks the backup first).
    @Test(arguments: Backend.allCases) func retryKeepsTheAttemptsItGivesBack(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try place.open(clock: clock)
        let run = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        try await queue.enqueue(tasks(1, maxAttempts: 2), run: run)
        try await queue.setRunState(run, .running, note: nil)
        for _ in 1...2 {
            let task = try #require(try await queue.claim(worker: "w", limit: 1).first)
            try await queue.fail(task.lease, error: "InternalError", permanent: false)
            clock.advance(.seconds(10))
        }
        #expect(try await queue.deadTasks(run: run).first?.attempts == 2)
        #expect(try await queue.runs(limit: 1).first?.retries == 1)
        try await queue.finishIdleRuns()
        #expect(try await queue.runs(limit: 1).first?.state == .finished)

        #expect(try await queue.retry(run: run, tasks: nil) == 1)
        let again = try #require(try await queue.claim(worker: "w", limit: 1).first)
        #expect(again.attempt == 1 && again.maxAttempts == 2, "a fresh round of attempts")
        #expect(again.earlierAttempts == 2)
        try await queue.complete(again.lease)
        try await queue.finishIdleRuns()
        let summary = try #require(try await queue.runs(limit: 1).first)
        #expect(summary.state == .finished)
        #expect(summary.tasks["succeeded"] == 1)
        #expect(summary.retries == 2, "three attempts of one task: two retries, one of them in the round before `retry`")
    }

    /// Each object is named once per dead task, with the attempts it failed in and its last error; an object an
    /// earlier attempt failed on and a later one copied is not named; keys are told apart byte for byte (NFC and
    /// NFD forms are two objects); a round after `retry` adds to what the earlier rounds recorded.
    @Test(arguments: Backend.allCases) func eachFailedObjectIsNamedOnceWithItsAttempts(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try place.open(clock: clock)
        let run = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        try await queue.enqueue(tasks(1, maxAttempts: 3), run: run)
        let nfc = "caf\u{E9}", nfd = "cafe\u{301}"
        let failing: [[String]] = [["mended", nfc, nfd], ["mended", nfc, nfd], [nfc, nfd, "late"]]
        for (index, subjects) in failing.enumerated() {
            let task = try #require(try await queue.claim(worker: "w", limit: 1).first)
            for subject in subjects {
                try await queue.recordFailure(task.lease, subject: subject, error: "\(subject) failed in attempt \(index + 1)")
            }
            try await queue.fail(task.lease, error: "\(subjects.count) objects failed", permanent: false)
            clock.advance(.seconds(10))
        }
        var dead = try #require(try await queue.deadTasks(run: run).first)
        #expect(dead.attempts == 3)
        #expect(dead.failures == [
            DeadTask.Failure(subject: nfc, error: "\(nfc) failed in attempt 3", attempts: 3),
            DeadTask.Failure(subject: nfd, error: "\(nfd) failed in attempt 3", attempts: 3),
            DeadTask.Failure(subject: "late", error: "late failed in attempt 3", attempts: 1),
        ])

        #expect(try await queue.retry(run: run, tasks: nil) == 1)
        let again = try #require(try await queue.claim(worker: "w", limit: 1).first)
        try await queue.recordFailure(again.lease, subject: nfc, error: "AccessDenied")
        try await queue.fail(again.lease, error: "1 object failed", permanent: true)
        dead = try #require(try await queue.deadTasks(run: run).first)
        #expect(dead.attempts == 4)
        #expect(dead.failures == [DeadTask.Failure(subject: nfc, error: "AccessDenied", attempts: 4)])
    }

    /// Requests and their retries add up per run, by operation, from any number of workers and tasks, and do not
    /// leak into other runs; a run pruned meanwhile is no error, and pruning a run takes its requests along.
    @Test(arguments: Backend.allCases) func requestsAddUpPerRun(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try place.open(clock: clock)
        let counted = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        let other = try await queue.createRun(kind: "backup", source: "s3://c", destination: "s3://d", parameters: "{}")
        try await queue.addRequestCounts(run: counted, RequestCounts(sent: ["CopyObject": 10, "ListObjectsV2": 2], retries: 3, throttled: 1))
        try await place.open(clock: clock).addRequestCounts(run: counted, RequestCounts(sent: ["CopyObject": 5, "HeadObject": 1],
                                                                                        retries: 4, throttled: 2))
        try await queue.addRequestCounts(run: counted, RequestCounts(sent: ["GetObject": 0]))
        try await queue.addRequestCounts(run: other, RequestCounts(sent: ["ListObjectsV2": 1]))
        try await queue.addRequestCounts(run: 9_999, RequestCounts(sent: ["PutObject": 1], retries: 5))
        let runs = Dictionary(uniqueKeysWithValues: try await queue.runs(limit: 10).map { ($0.id, $0) })
        #expect(runs[counted]?.requestRetries == 7)
        #expect(runs[counted]?.throttledRequests == 3)
        #expect(runs[other]?.requestRetries == 0 && runs[other]?.throttledRequests == 0)
        #expect(try await queue.requests(run: counted) == ["CopyObject": 15, "ListObjectsV2": 2, "HeadObject": 1])
        #expect(try await queue.requests(run: other) == ["ListObjectsV2": 1])
        #expect(try await queue.requests(run: 9_999).isEmpty)

        try await queue.setRunState(counted, .finished, note: nil)
        clock.advance(.seconds(60))
        _ = try await queue.prune(finishedBefore: clock.date)
        #expect(try await queue.requests(run: counted).isEmpty, "pruned with its run")
        #expect(try await queue.requests(run: other) == ["ListObjectsV2": 1])
    }

    /// What workers hold, by worker and claim: who, since when, until when; nothing once done.
    @Test(arguments: Backend.allCases) func heldTasksNameTheirWorkersAndClaims(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try place.open(clock: clock)
        let run = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        try await queue.enqueue((0..<3).map { NewTask(kind: "copy", uniqueKey: "k\($0)", payload: []) }, run: run, held: false)
        let first = try await queue.claim(worker: "host-b:2", limit: 1, run: nil)
        clock.advance(.seconds(5))
        let second = try await queue.claim(worker: "host-a:1", limit: 2, run: run)
        let held = try await queue.held(run: run)
        #expect(held.map(\.owner) == ["host-a:1", "host-a:1", "host-b:2"])
        #expect(held.map(\.task) == second.map(\.lease.task) + first.map(\.lease.task))
        #expect(held.last?.claimedAt == held.last?.heartbeatAt && held[0].claimedAt == held.last?.claimedAt?.addingTimeInterval(5))
        #expect(held.allSatisfy { $0.attempt == 1 && $0.kind == "copy" && $0.expiresAt > $0.claimedAt! })
        #expect(try await queue.held(run: run + 1).isEmpty)
        _ = try await queue.complete(first.map { (lease: $0.lease, result: nil) })
        #expect(try await queue.held(run: nil).map(\.owner) == ["host-a:1", "host-a:1"])
    }

    /// A queue of schema 4 with runs, tasks, plan units and failures becomes schema 5 with every row, column, index
    /// and foreign key kept (the `runs` table is rebuilt for AUTOINCREMENT), foreign keys enforced again afterwards
    /// (pruning still cascades), and the next id after the largest one it held.
    @Test func aSchema4QueueMigratesWithEveryRowIndexAndForeignKey() async throws {
        let path = directory.file("queue.db")
        try Self.makeSchema4(at: path) { db in
            try db.execute("""
                INSERT INTO runs (id, kind, source, destination, parameters, state, note, created_at, updated_at, finished_at,
                                  planner, planner_expires_at)
                VALUES (1, 'backup', 's3://a', 's3://b', '{"x":1}', 'finished', 'deletes refused: cap', 10, 20, 30, NULL, NULL),
                       (2, 'backup', 's3://a', 's3://b', '{}', 'running', NULL, 40, 50, NULL, 'host:1', 99);
                INSERT INTO tasks (id, run_id, kind, unique_key, payload, state, attempts, max_attempts, run_at, last_error,
                                   finished_at, created_at, updated_at, unit)
                VALUES (7, 1, 'copy', 'u7', x'01', 'dead', 5, 5, 0, 'InternalError', 30, 10, 30, 'deep:'),
                       (8, 2, 'copy', 'u8', x'02', 'ready', 1, 5, 0, NULL, NULL, 40, 40, 'deep:');
                INSERT INTO plan_units (run_id, unit, summary, finished_at) VALUES (1, 'deep:', '{}', 25), (2, 'deep:', NULL, NULL);
                INSERT INTO task_failures (task_id, subject, error, at)
                VALUES (7, 'k', 'InternalError 1', 11), (7, 'k', 'InternalError 2', 12);
                """)
        }
        let queue = try SQLiteQueue(path: path, clock: clock.function)
        let schema = try await queue.perform { db in
            (version: try db.integer("PRAGMA user_version"), foreignKeys: try db.integer("PRAGMA foreign_keys"),
             integrity: try db.prepare("PRAGMA integrity_check").rows { $0.text(0) },
             runsSQL: try db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'runs'").rows { $0.text(0) }.first ?? "",
             indexes: try db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'runs'").rows { $0.text(0) },
             leftovers: try db.integer("SELECT count(*) FROM sqlite_schema WHERE name = 'runs_rebuilt'"),
             failureIndex: try db.prepare("SELECT name FROM pragma_index_info('task_failures_by_task') ORDER BY seqno").rows { $0.text(0) },
             references: try db.prepare("""
                 SELECT m.name, f."table", f."from", f.on_delete FROM sqlite_schema AS m, pragma_foreign_key_list(m.name) AS f
                 WHERE m.type = 'table' ORDER BY m.name
                 """).rows { "\($0.text(0)).\($0.text(2)) → \($0.text(1)) on delete \($0.text(3))" },
             runs: try db.prepare("""
                 SELECT id, parameters, state, note, created_at, updated_at, finished_at, planner, planner_expires_at FROM runs ORDER BY id
                 """).rows { row in (0..<9).map { row.optionalText(Int32($0)) ?? "NULL" }.joined(separator: "|") })
        }
        #expect(schema.version == SQLiteMigrations.latest)
        #expect(schema.foreignKeys == 1, "enforced again after the migration")
        #expect(schema.integrity == ["ok"])
        #expect(schema.runsSQL.contains("AUTOINCREMENT") && schema.runsSQL.contains("STRICT"))
        #expect(schema.runsSQL.contains("CHECK (state IN ('planning', 'running', 'finished', 'cancelled'))"))
        #expect(schema.indexes == ["runs_by_location"])
        #expect(schema.leftovers == 0)
        #expect(schema.failureIndex == ["task_id", "subject"])
        #expect(schema.references == ["plan_units.run_id → runs on delete CASCADE", "run_requests.run_id → runs on delete CASCADE",
                                      "task_failures.task_id → tasks on delete CASCADE", "tasks.run_id → runs on delete CASCADE"])
        #expect(schema.runs == ["1|{\"x\":1}|finished|deletes refused: cap|10|20|30|NULL|NULL",
                                "2|{}|running|NULL|40|50|NULL|host:1|99"])
        #expect(try await queue.planner(of: 2) == "host:1")
        let dead = try #require(try await queue.deadTasks(run: 1).first)
        #expect(dead.id == 7 && dead.attempts == 5 && dead.lastError == "InternalError")
        #expect(dead.failures == [DeadTask.Failure(subject: "k", error: "InternalError 2", attempts: 2)],
                "failures recorded before schema 5 are named once too")
        #expect(try await queue.units(run: 2).map(\.unit) == ["deep:"])

        // Pruning the finished run cascades to its task, failures and units, as before the rebuild.
        #expect(try await queue.prune(finishedBefore: Date(timeIntervalSince1970: 1)) == 1)
        let left = try await queue.perform { db in
            [try db.integer("SELECT count(*) FROM tasks WHERE run_id = 1"), try db.integer("SELECT count(*) FROM task_failures"),
             try db.integer("SELECT count(*) FROM plan_units WHERE run_id = 1")]
        }
        #expect(left == [0, 0, 0])
        #expect(try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}") == 3)
    }

    /// A migration that finds a broken reference changes nothing: the queue stays at schema 4 with its rows, and
    /// the error says what is wrong and what to do.
    @Test func aMigrationThatFindsABrokenReferenceChangesNothing() async throws {
        let path = directory.file("queue.db")
        try Self.makeSchema4(at: path) { db in
            // Foreign keys are off on this connection (SQLite's default), as in a file some other tool wrote.
            try db.execute("""
                INSERT INTO runs (id, kind, source, destination, created_at, updated_at) VALUES (1, 'backup', 's3://a', 's3://b', 1, 1);
                INSERT INTO tasks (id, run_id, kind, unique_key, payload, run_at, created_at, updated_at)
                VALUES (1, 1, 'copy', 'u1', x'00', 0, 1, 1), (2, 42, 'copy', 'u2', x'00', 0, 1, 1);
                """)
        }
        let error = #expect(throws: QueueError.self) { try SQLiteQueue(path: path, clock: clock.function) }
        #expect(error?.description.contains("broken reference") == true, "\(String(describing: error))")
        #expect(error?.description.contains("move the file aside") == true)
        let db = try Connection(path: path)
        #expect(try db.integer("PRAGMA user_version") == 4)
        #expect(try db.integer("SELECT count(*) FROM runs") == 1)
        #expect(try db.integer("SELECT count(*) FROM sqlite_schema WHERE name = 'runs_rebuilt'") == 0)
        #expect(try db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'runs'").rows { $0.text(0) }.first?.contains("AUTOINCREMENT") == false)
    }

    /// A queue file at schema 4, as s3backup before this one left it, with `rows` added.
    static func makeSchema4(at path: String, rows: (Connection) throws -> Void) throws {
        let db = try Connection(path: path)
        try db.execute("PRAGMA auto_vacuum = INCREMENTAL")
        for migration in SQLiteMigrations.all.prefix(4) { try db.execute(migration.sql) }
        try db.execute("PRAGMA user_version = 4")
        try rows(db)
    }
}
