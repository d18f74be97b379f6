import Foundation
@testable import Queue
import Synchronization
import TestSupport
import Testing

func tasks(_ count: Int, maxAttempts: Int = 3) -> [NewTask] {
    (0..<count).map { NewTask(kind: "copy", uniqueKey: "k\($0)", payload: Array("p\($0)".utf8), maxAttempts: maxAttempts) }
}

@Suite("Queue state transitions, on SQLite and PostgreSQL", .timeLimit(.minutes(2)))
struct QueueTests {
    let directory: TemporaryDirectory
    let clock = TestClock()
    var settings = QueueSettings()

    init() throws {
        directory = try TemporaryDirectory()
        settings.leaseDuration = .seconds(30)
    }

    func open() throws -> SQLiteQueue { try SQLiteQueue(path: directory.file("queue.db"), settings: settings, clock: clock.function) }
    func open(_ place: QueuePlace) throws -> any TaskQueue { try place.open(settings: settings, clock: clock) }

    @Test func schemaIsMigratedWithIncrementalVacuumAndWAL() async throws {
        let queue = try open()
        let (version, vacuum, journal) = try await queue.perform { db in
            (try db.integer("PRAGMA user_version"), try db.integer("PRAGMA auto_vacuum"),
             try db.prepare("PRAGMA journal_mode").rows { $0.text(0) }.first)
        }
        #expect(version == Int64(SQLiteMigrations.latest))
        #expect(vacuum == 2, "INCREMENTAL")
        #expect(journal == "wal")
        _ = try open()  // opening again migrates nothing and fails nothing
    }

    @Test(arguments: Backend.allCases) func everyMigrationFileIsCompiledIn(_ backend: Backend) throws {
        let sql = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sql/\(backend.rawValue)")
        let files = try FileManager.default.contentsOfDirectory(atPath: sql.path)
            .filter { $0.range(of: #"^\d{4}_.*\.sql$"#, options: .regularExpression) != nil }.sorted()
        let compiled = backend == .sqlite ? SQLiteMigrations.all : PostgresMigrations.all
        #expect(files == compiled.map(\.name))
        for (index, file) in files.enumerated() {
            #expect(try String(contentsOf: sql.appendingPathComponent(file), encoding: .utf8) == compiled[index].sql)
        }
    }

    @Test(arguments: Backend.allCases) func refusesADatabaseFromANewerVersion(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try open(place)
        if let db = try place.connection() {
            try db.execute("UPDATE schema_version SET version = 99")
        } else {
            try await (queue as! SQLiteQueue).perform { try $0.execute("PRAGMA user_version = 99") }
        }
        let error = #expect(throws: QueueError.self) { try open(place) }
        let latest = backend == .sqlite ? SQLiteMigrations.latest : PostgresMigrations.latest
        #expect(error?.kind == .newerSchema(found: 99, supported: latest))
        #expect(error?.description.contains("upgrade s3backup") == true)
    }

    @Test(arguments: Backend.allCases) func aPlaceWithoutAQueueIsRefusedUnlessCreating(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let error = #expect(throws: QueueError.self) { try place.location.open(create: false) }
        #expect(error?.kind == .notFound)
        #expect(error?.category == .usage)
        _ = try place.location.open()
        _ = try place.location.open(create: false)
    }

    @Test(arguments: Backend.allCases) func enqueueIsIdempotentPerRun(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try open(place)
        let run = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        #expect(try await queue.enqueue(tasks(10), run: run) == 10)
        #expect(try await queue.enqueue(tasks(12), run: run) == 2)
        let other = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        #expect(try await queue.enqueue(tasks(3), run: other) == 3)
        #expect(try await queue.runs(limit: 10).first { $0.id == run }?.tasks["ready"] == 12)
    }

    @Test(arguments: Backend.allCases) func claimCompleteAndCounts(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try open(place)
        let run = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        try await queue.enqueue(tasks(5), run: run)
        let first = try await queue.claim(worker: "w1", limit: 3)
        #expect(first.map(\.payload) == ["p0", "p1", "p2"].map { Array($0.utf8) })
        #expect(first.allSatisfy { $0.attempt == 1 && $0.run == run })
        let second = try await queue.claim(worker: "w2", limit: 10)
        #expect(second.count == 2)
        #expect(try await queue.claim(worker: "w3", limit: 10).isEmpty)
        #expect(try await queue.complete((first + second).map { ($0.lease, Array("ok".utf8)) }).isEmpty)
        clock.advance(.seconds(60))
        let summary = try #require(try await queue.runs(limit: 1).first)
        #expect(summary.tasks == ["ready": 0, "running": 0, "succeeded": 5, "dead": 0])
        #expect(summary.tasksPerMinute == 1)
    }

    @Test(arguments: Backend.allCases) func aStaleWorkerCannotCompleteOrFail(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try open(place)
        let run = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        try await queue.enqueue(tasks(1), run: run)
        let stale = try #require(try await queue.claim(worker: "slow", limit: 1).first)
        clock.advance(.seconds(31))
        // Another process (its own connection) sweeps the expired lease and claims the task anew.
        let other = try open(place)
        let fresh = try #require(try await other.claim(worker: "fast", limit: 1).first)
        #expect(fresh.lease.token == stale.lease.token + 1)
        #expect(fresh.attempt == 2)
        #expect(try await queue.renew([stale.lease]) == [stale.lease])
        #expect(try await queue.complete([(stale.lease, nil)]) == [stale.lease])
        let failure = await #expect(throws: QueueError.self) { try await queue.fail(stale.lease, error: "late", permanent: false) }
        #expect(failure?.kind == .leaseLost(task: stale.lease.task))
        #expect(failure?.description.contains("another worker owns the task") == true)
        await #expect(throws: QueueError.self) { try await queue.recordFailure(stale.lease, subject: "k", error: "late") }
        await #expect(throws: QueueError.self) { try await queue.complete(stale.lease) }
        try await other.complete(fresh.lease)
        #expect(try await queue.runs(limit: 1).first?.tasks["succeeded"] == 1)
    }

    @Test(arguments: Backend.allCases) func failuresBackOffThenDie(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try open(place)
        let run = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        try await queue.enqueue(tasks(1, maxAttempts: 3), run: run)
        for attempt in 1...3 {
            let task = try #require(try await queue.claim(worker: "w", limit: 1).first, "attempt \(attempt)")
            #expect(task.attempt == attempt)
            try await queue.recordFailure(task.lease, subject: "clients/a b.txt", error: "SlowDown \(attempt)")
            try await queue.fail(task.lease, error: "attempt \(attempt) failed", permanent: false)
            // Not due before its backoff: at least half of 2 s × 2^(attempt-1).
            #expect(try await queue.claim(worker: "w", limit: 1).isEmpty)
            clock.advance(.seconds(10))
        }
        let dead = try await queue.deadTasks(run: run)
        #expect(dead.count == 1)
        #expect(dead.first?.attempts == 3)
        #expect(dead.first?.lastError == "attempt 3 failed")
        // The object is named once, with the attempts it failed in and its last error.
        #expect(dead.first?.failures == [DeadTask.Failure(subject: "clients/a b.txt", error: "SlowDown 3", attempts: 3)])

        #expect(try await queue.retry(run: run, tasks: nil) == 1)
        #expect(try await queue.deadTasks(run: nil).isEmpty)
        let again = try #require(try await queue.claim(worker: "w", limit: 1).first)
        #expect(again.attempt == 1 && again.earlierAttempts == 3, "a fresh round; the earlier one is kept")
        try await queue.fail(again.lease, error: "AccessDenied", permanent: true)
        #expect(try await queue.deadTasks(run: run).first?.attempts == 4, "a permanent failure dies at once: 3 + 1")
        #expect(try await queue.retry(run: nil, tasks: [again.lease.task, 9_999]) == 1)
    }

    @Test func retryDelayIsExponentialWithEqualJitter() {
        let settings = QueueSettings()
        #expect(settings.retryDelay(afterAttempt: 1, random: 0) == .seconds(1))
        #expect(settings.retryDelay(afterAttempt: 1, random: 0.5) == .seconds(1.5))
        #expect(settings.retryDelay(afterAttempt: 3, random: 0) == .seconds(4))
        #expect(settings.retryDelay(afterAttempt: 40, random: 0.999) <= .seconds(600))
        #expect(settings.retryDelay(afterAttempt: 40, random: 0) == .seconds(300))
    }

    @Test(arguments: Backend.allCases) func releaseGivesTheAttemptBack(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try open(place)
        let run = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        try await queue.enqueue(tasks(2), run: run)
        let claimed = try await queue.claim(worker: "w", limit: 2)
        try await queue.release(claimed.map(\.lease))
        let again = try await queue.claim(worker: "w2", limit: 2)
        #expect(again.map(\.attempt) == [1, 1])
        #expect(try await queue.renew(again.map(\.lease)).isEmpty)
    }

    @Test(arguments: Backend.allCases) func pruneRemovesOldFinishedRunsAndGivesSpaceBack(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try open(place)
        let payload = [UInt8](repeating: 7, count: 2_000)
        let old = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        try await queue.enqueue((0..<3_000).map { NewTask(kind: "copy", uniqueKey: "\($0)", payload: payload) }, run: old)
        try await queue.setRunState(old, .finished, note: nil)
        clock.advance(.seconds(40 * 86_400))
        let recent = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        try await queue.enqueue(tasks(5), run: recent)
        try await queue.setRunState(recent, .finished, note: nil)
        let sqlite = queue as? SQLiteQueue
        let before = try sqlite?.fileSizes()
        #expect(try await queue.prune(finishedBefore: clock.date.addingTimeInterval(-30 * 86_400)) == 1)
        #expect(try await queue.runs(limit: 10).map(\.id) == [recent])
        #expect(try await queue.deadTasks(run: old).isEmpty)
        #expect(try await queue.results(run: old).isEmpty)
        // SQLite gives the pages back to the file system; PostgreSQL's autovacuum keeps them for new rows.
        if let sqlite, let before {
            let after = try sqlite.fileSizes()
            #expect(after.wal == 0, "the WAL is truncated")
            #expect(after.database < before.database / 2, "\(before) → \(after)")
        }
    }

    @Test(arguments: Backend.allCases) func tasksOfStoppedRunsAreNotClaimed(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try open(place)
        let cancelled = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        try await queue.enqueue(tasks(2), run: cancelled)
        try await queue.setRunState(cancelled, .cancelled, note: "operator")
        let live = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        try await queue.enqueue(tasks(1), run: live)
        #expect(try await queue.claim(worker: "w", limit: 10).map(\.run) == [live])
    }

    @Test(arguments: Backend.allCases) func setRunStateOfAMissingRunIsAnError(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try open(place)
        await #expect(throws: QueueError.self) { try await queue.setRunState(42, .finished, note: nil) }
    }

    @Test(arguments: [
        ("/var/lib/s3backup/queue.db", false, "/var/lib/s3backup/queue.db"),
        ("queue=1.db", false, "queue=1.db"),
        ("service=fleet", true, "service=fleet"),
        ("postgresql://s3backup:s3cr@t@db1,db2/s3backup?sslmode=verify-full", true,
         "postgresql://s3backup:********@db1,db2/s3backup?sslmode=verify-full"),
        ("postgres://u@db/q?password=hunter2&sslmode=require", true, "postgres://u@db/q?password=********&sslmode=require"),
        ("host=db dbname=q password='a b\\' c' user=u", true, "host=db dbname=q password=******** user=u"),
        (" host=db password = plain", true, "host=db password = ********"),
        ("host=db password=ab&cd dbname=q", true, "host=db password=******** dbname=q"),
        ("sslpassword=key-secret host=db", true, "sslpassword=******** host=db"),
        ("host=db password=a\\ b user=u", true, "host=db password=******** user=u"),
    ])
    func locationsAreReadAndTheirPasswordsMasked(text: String, postgres: Bool, shown: String) {
        let location = QueueLocation(text)
        if case .postgres = location { #expect(postgres) } else { #expect(!postgres) }
        #expect(location.description == shown)
    }

    @Test(arguments: [
        ("/work/q", "ext4", nil), ("/mnt/nas/q", "nfs4", "nfs4"), ("/mnt/share", "cifs", "cifs"),
        ("/home/me/remote/x", "fuse.sshfs", "fuse.sshfs"), ("/mnt/nas-backup/x", "ext4", nil),
    ])
    func recognisesNetworkFileSystems(directory: String, type: String, refused: String?) {
        let mounts = """
            /dev/vda / ext4 rw 0 0
            server:/export /mnt/nas nfs4 rw 0 0
            //server/share /mnt/share cifs rw 0 0
            me@host: /home/me/remote fuse.sshfs rw 0 0
            /dev/vdb /mnt/nas-backup ext4 rw 0 0
            /dev/vdc /work \(type) rw 0 0
            """
        let found = FileSystemCheck.fileSystemType(of: directory, mounts: mounts)
        #expect(FileSystemCheck.networkTypes.contains(found ?? "") == (refused != nil))
        if let refused { #expect(found == refused) }
    }
}

@Suite("Operator queries in sql/*/queries", .timeLimit(.minutes(2)))
struct OperatorQueryTests {
    @Test(arguments: Backend.allCases) func everyQueryRunsAgainstALiveQueue(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let clock = TestClock(Date())  // today, so "the last hour" has rows
        let queue = try place.open(clock: clock)
        let run = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        try await queue.enqueue(tasks(3, maxAttempts: 2), run: run)
        let claimed = try await queue.claim(worker: "w", limit: 3)
        try await queue.recordFailure(claimed[0].lease, subject: "key", error: "AccessDenied")
        try await queue.fail(claimed[0].lease, error: "AccessDenied", permanent: true)
        try await queue.complete(claimed[1].lease)
        try await queue.fail(claimed[2].lease, error: "SlowDown", permanent: false)
        clock.advance(.seconds(5))
        #expect(try await queue.claim(worker: "w", limit: 1).first?.attempt == 2)
        try await queue.record(CatalogChanges(pair: "s3://a/ -> s3://b/", recorded: [
            CatalogEntry(pair: "s3://a/ -> s3://b/", key: "k", size: 1, sourceETag: "s", backupETag: "b")]))

        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sql/\(backend.rawValue)/queries")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }
        #expect(files.count >= 6)
        let db = try place.connection()
        for file in files {
            let sql = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let rows = if let db {
                try db.script(sql).rows
            } else {
                try await (queue as! SQLiteQueue).perform { db in try db.prepare(sql).rows { _ in 1 }.count }
            }
            #expect(rows > 0, "\(file) returns rows on a queue with ready, running, succeeded and dead tasks and a catalog row")
        }
    }
}
