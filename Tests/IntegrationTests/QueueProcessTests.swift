import Foundation
@testable import Queue
import Spawn
import TestSupport
import Testing

/// The queue under real processes, on both backends: spawned `queue-bench` binaries, SIGKILL, one SQLite file or one
/// PostgreSQL schema.
@Suite("Queue across processes, on SQLite and PostgreSQL", .timeLimit(.minutes(10)))
struct QueueProcessTests {
    /// One test's queue and the drainers' logs.
    struct Bench {
        let place: QueuePlace
        let directory: URL
        /// What `--db` names.
        let database: String
        let binary = Repository.binary.deletingLastPathComponent().appendingPathComponent("queue-bench")

        init(_ backend: Backend) throws {
            place = try QueuePlace(backend)
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("s3backup-procs-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            switch place.location {
            case .sqlite: database = directory.appendingPathComponent("queue.db").path
            case .postgres(let conninfo): database = conninfo
            }
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }

        /// The queue, as another process opens it.
        func queue() throws -> any TaskQueue { try QueueLocation(database).open() }

        func seed(_ tasks: Int, maxAttempts: Int = 5, poison: [Int] = []) async throws {
            let result = try await run(binary, ["seed", "--db", database, "--tasks", String(tasks), "--max-attempts",
                                                String(maxAttempts)] + poison.flatMap { ["--poison", String($0)] },
                                       environment: isolatedEnvironment([:]))
            #expect(result.status == 0, "seed: \(result.stderr)")
        }

        /// A `drain` process named `name`, its completions logged to `name.log` and its output to `name.out`; with a
        /// `clock` offset (libfaketime's, e.g. "-2h") its host clock is that far off.
        func drainer(_ name: String, _ extra: [String] = [], clock: String? = nil) throws -> ChildProcess {
            let out = directory.appendingPathComponent("\(name).out")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            let file = try FileHandle(forWritingTo: out)
            defer { try? file.close() }
            return try ChildProcess(binary.path, ["drain", "--db", database, "--worker", name, "--log",
                                                  directory.appendingPathComponent("\(name).log").path] + extra,
                                    environment: try clock.map(Self.environment(withClock:)), stdin: .null, stdout: .file(file))
        }

        /// Starts a drainer that claims a batch, prints the claimed ids on one line and holds them (`--hold`) until
        /// killed; returns it and the ids.
        func holder(_ name: String, batch: Int, leaseMilliseconds: Int, clock: String? = nil) throws -> (ChildProcess, Set<Int64>) {
            let output = Pipe()
            let holder = try ChildProcess(binary.path, ["drain", "--db", database, "--worker", name, "--batch", String(batch),
                                                        "--lease-ms", String(leaseMilliseconds), "--hold"],
                                          environment: try clock.map(Self.environment(withClock:)), stdin: .null,
                                          stdout: .pipe(output))
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            return (holder, Set(line.split(whereSeparator: \.isWhitespace).compactMap { Int64($0) }))
        }

        /// This process's environment with libfaketime preloaded to set the host clock `clock` off (e.g. "-2h");
        /// the monotonic clock stays true.
        static func environment(withClock clock: String) throws -> [String: String] {
            let library = try #require(try FileManager.default.contentsOfDirectory(atPath: "/usr/lib").lazy
                .map { "/usr/lib/\($0)/faketime/libfaketime.so.1" }.first(where: FileManager.default.fileExists),
                                       "libfaketime (ops/install-deps.sh installs it)")
            return ProcessInfo.processInfo.environment.merging(
                ["LD_PRELOAD": library, "FAKETIME": clock, "FAKETIME_DONT_FAKE_MONOTONIC": "1"]) { $1 }
        }

        /// What `drain` printed last, as JSON.
        func output(of name: String) throws -> [String: Any] {
            let text = try String(contentsOf: directory.appendingPathComponent("\(name).out"), encoding: .utf8)
            let line = try #require(text.split(separator: "\n").last, "\(name) printed nothing")
            return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }

        func completedIDs() throws -> [Int64] {
            try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".log") }.flatMap {
                try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8).split(separator: "\n").compactMap { Int64($0) }
            }
        }

        /// attempts by task id, read from the queue's table.
        func attempts() async throws -> [Int64: Int] {
            switch QueueLocation(database) {
            case .sqlite(let path):
                return try await SQLiteQueue(path: path).perform { db in
                    Dictionary(uniqueKeysWithValues: try db.prepare("SELECT id, attempts FROM tasks").rows { ($0.int64(0), Int($0.int64(1))) })
                }
            case .postgres(let conninfo):
                let rows = try PGConnection(conninfo: conninfo, location: "test").execute("SELECT id, attempts FROM tasks")
                return Dictionary(uniqueKeysWithValues: (0..<rows.rows).map { (rows.integer($0, 0)!, Int(rows.integer($0, 1)!)) })
            }
        }
    }

    private func waitForExit(_ processes: [ChildProcess], within limit: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + limit
        while processes.contains(where: \.isRunning) {
            guard ContinuousClock.now < deadline else {
                processes.forEach { $0.signal() }
                throw HelperError("workers still running after \(limit)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test(arguments: Backend.allCases) func fourProcessesFinishEveryTaskExactlyOnce(_ backend: Backend) async throws {
        let bench = try Bench(backend)
        defer { bench.remove() }
        let total = 6_000
        try await bench.seed(total)
        let workers = try (0..<4).map { try bench.drainer("w\($0)", ["--batch", String([1, 7, 50, 200][$0])]) }
        try await waitForExit(workers)
        #expect(workers.allSatisfy { $0.termination == .exited(0) })
        let ids = try bench.completedIDs()
        #expect(ids.count == total, "completions logged")
        #expect(Set(ids).count == total, "no task completed twice")
        let summary = try #require(try await bench.queue().runs(limit: 1).first)
        #expect(summary.tasks == ["ready": 0, "running": 0, "succeeded": total, "dead": 0])
    }

    @Test(arguments: Backend.allCases) func aKilledWorkersLeasesComeBackAndAreFinishedByOthers(_ backend: Backend) async throws {
        let bench = try Bench(backend)
        defer { bench.remove() }
        try await bench.seed(300)
        let (holder, held) = try bench.holder("doomed", batch: 40, leaseMilliseconds: 1_000)
        #expect(held.count == 40)
        holder.signal(SIGKILL)
        holder.waitUntilExit()

        // The others keep polling past the dead worker's lease, then finish everything.
        let workers = try (0..<2).map { try bench.drainer("survivor\($0)", ["--batch", "25", "--idle-seconds", "2"]) }
        try await waitForExit(workers)
        let ids = try bench.completedIDs()
        #expect(ids.count == 300)
        #expect(Set(ids).count == 300)
        #expect(held.isSubset(of: Set(ids)))
        let attempts = try await bench.attempts()
        #expect(held.allSatisfy { attempts[$0] == 2 }, "the killed claim counts as an attempt")
        #expect(attempts.filter { !held.contains($0.key) }.values.allSatisfy { $0 == 1 })
    }

    @Test(arguments: Backend.allCases) func aTaskThatKeepsKillingItsWorkerEndsDead(_ backend: Backend) async throws {
        let bench = try Bench(backend)
        defer { bench.remove() }
        try await bench.seed(30, maxAttempts: 3, poison: [7])
        var rounds = 0
        while rounds < 12 {
            rounds += 1
            let worker = try bench.drainer("round\(rounds)", ["--batch", "1", "--lease-ms", "300", "--idle-seconds", "0.6"])
            try await waitForExit([worker])
            if worker.termination == .exited(0) { break }
            #expect(worker.termination == .signaled(SIGKILL), "\(String(describing: worker.termination))")
        }
        #expect(rounds == 4, "three workers die on the poison task, the fourth finds it dead")
        let queue = try bench.queue()
        let dead = try await queue.deadTasks(run: nil)
        #expect(dead.count == 1)
        #expect(dead.first?.attempts == 3)
        #expect(dead.first?.lastError?.contains("expired") == true)
        #expect(try await queue.runs(limit: 1).first?.tasks == ["ready": 0, "running": 0, "succeeded": 29, "dead": 1])
    }
}

extension QueueProcessTests {
    /// Hosts whose clocks are two hours apart (faked per process by libfaketime) share one PostgreSQL queue. Only the
    /// server's clock times a lease: the host that runs ahead cannot take the tasks of the one that runs behind before
    /// their lease is up, and gets them once it is, on the server's time.
    @Test func hostClocksHoursApartNeitherStealNorLoseLeases() async throws {
        let bench = try Bench(.postgres)
        defer { bench.remove() }
        try await bench.seed(100)
        let (behind, held) = try bench.holder("behind", batch: 10, leaseMilliseconds: 10_000, clock: "-2h")
        defer { if behind.isRunning { behind.signal(SIGKILL); behind.waitUntilExit() } }
        #expect(held.count == 10)
        let db = try PGConnection(conninfo: try #require(bench.place.conninfo), location: "test")
        let claimedBy = try #require(db.execute("SELECT max(lease_expires_at) FROM tasks WHERE lease_owner = 'behind'").integer(0, 0))

        let ahead = try bench.drainer("ahead", ["--batch", "5", "--idle-seconds", "1"], clock: "+2h")
        try await waitForExit([ahead])
        let hostTime = try #require(try bench.output(of: "ahead")["host_time"] as? Double)
        #expect(abs(hostTime - Date().timeIntervalSince1970 - 7_200) < 600, "the worker's clock ran two hours ahead")
        let early = Set(try bench.completedIDs())
        #expect(early.count == 90 && early.isDisjoint(with: held), "none of the held tasks was taken before its lease was up")

        behind.signal(SIGKILL)
        behind.waitUntilExit()
        let late = try bench.drainer("late", ["--batch", "5", "--idle-seconds", "15"], clock: "+2h")
        try await waitForExit([late])
        let ids = try bench.completedIDs()
        #expect(ids.count == 100 && Set(ids).count == 100)
        let taken = try db.execute("SELECT min(finished_at) FROM tasks WHERE id = ANY ($1::bigint[])",
                                   [.array(held.map { .integer($0) })]).integer(0, 0) ?? 0
        #expect(taken >= claimedBy, "taken over \(taken - claimedBy) ms after the lease ended on the server's clock")
        #expect(try await bench.attempts().filter { held.contains($0.key) }.values.allSatisfy { $0 == 2 })
    }
}

@Suite("Operator views on a killed run's queue", .timeLimit(.minutes(10)))
struct OperatorViewTests {
    @Test(arguments: Backend.allCases) func statusFailedAndRetryWorkOnWhatAKilledRunLeftBehind(_ backend: Backend) async throws {
        let setup = try QueueProcessTests.Bench(backend)
        defer { setup.remove() }
        let database = setup.database, bench = setup.binary
        let environment = isolatedEnvironment([:])
        _ = try await run(bench, ["seed", "--db", database, "--tasks", "50", "--max-attempts", "1", "--poison", "3"],
                          environment: environment)
        // A worker dies on the poison task while holding its lease: the run is left as a crash leaves it.
        let crashed = try await run(bench, ["drain", "--db", database, "--worker", "crashing", "--batch", "1", "--lease-ms", "200"],
                                    environment: environment)
        #expect(crashed.status != 0)
        try await Task.sleep(for: .milliseconds(250))
        // A survivor sweeps the expired lease (the poison task is out of attempts: dead) and finishes the rest.
        _ = try await run(bench, ["drain", "--db", database, "--worker", "survivor"], environment: environment)
        // One object failure recorded the way a worker records it.
        let deadID = try #require(try await setup.queue().deadTasks(run: nil).first?.id)
        switch QueueLocation(database) {
        case .sqlite(let path):
            try await SQLiteQueue(path: path).perform { db in
                try db.prepare("INSERT INTO task_failures (task_id, subject, error, at) VALUES (?1, 'clients/a b.txt', 'AccessDenied', 0)")
                    .bind(.integer(deadID)).run()
            }
        case .postgres(let conninfo):
            try PGConnection(conninfo: conninfo, location: "test").execute("""
                INSERT INTO task_failures (task_id, subject, error, at, attempt) VALUES ($1::bigint, 'clients/a b.txt', 'AccessDenied', 0, 1)
                """, [.integer(deadID)])
        }

        let status = try await run(Repository.binary, ["status", "--db", database, "--json"], environment: environment)
        #expect(status.status == 0, "\(status.stderr)")
        let runs = try #require((try JSONSerialization.jsonObject(with: Data(status.stdout)) as? [String: Any])?["runs"] as? [[String: Any]])
        #expect((runs.first?["tasks"] as? [String: Int]) == ["ready": 0, "running": 0, "succeeded": 49, "dead": 1])
        let text = try await run(Repository.binary, ["status", "--db", database], environment: environment)
        #expect(text.stdoutText.contains("49 succeeded, 1 dead"))

        let failed = try await run(Repository.binary, ["failed", "--db", database], environment: environment)
        #expect(failed.status == 0)
        #expect(failed.stdoutText.contains("task \(deadID)"))
        #expect(failed.stdoutText.contains("clients/a b.txt: AccessDenied"))
        #expect(failed.stdoutText.contains("expired"))
        let failedJSON = try await run(Repository.binary, ["failed", "--db", database, "--json", "--run", "1"], environment: environment)
        let tasks = try #require((try JSONSerialization.jsonObject(with: Data(failedJSON.stdout)) as? [String: Any])?["tasks"] as? [[String: Any]])
        #expect(tasks.count == 1)
        #expect((tasks.first?["failures"] as? [[String: Any]])?.first?["subject"] as? String == "clients/a b.txt")

        let retried = try await run(Repository.binary, ["retry", "--db", database, "--task", String(deadID), "--json"],
                                    environment: environment)
        #expect(retried.stdoutText.contains("\"requeued\" : 1"))
        let after = try await run(Repository.binary, ["failed", "--db", database], environment: environment)
        #expect(after.stdoutText == "no failed tasks\n")

        let nowhere = backend == .sqlite ? setup.directory.appendingPathComponent("nope.db").path
            : try PostgresServer.shared().conninfo() + " options='-c search_path=nope'"
        let missing = try await run(Repository.binary, ["status", "--db", nowhere], environment: environment)
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("there is no queue"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: setup.directory.appendingPathComponent("nope.db").path))
        let both = try await run(Repository.binary, ["retry", "--db", database, "--run", "1", "--task", "2"], environment: environment)
        #expect(both.status == 64)
    }
}
