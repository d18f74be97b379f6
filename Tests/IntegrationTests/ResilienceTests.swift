import Foundation
@testable import Queue
import S3
import Spawn
import Testing
import TestSupport

/// Worker processes under throttling and under kill -9 and SIGTERM storms.
@Suite("fleet backoff and crash storms", .serialized, .timeLimit(.minutes(10)))
struct ResilienceTests {
    /// `s3backup ARGS` started in the background with its output in `log`.
    private func start(_ arguments: [String], _ fixture: BackupFixture, environment: [String: String]? = nil,
                       log: String? = nil) throws -> ChildProcess {
        var errors = ChildProcess.Stream.null
        if let log {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let file = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            errors = .file(file)
        }
        defer { if case .file(let file) = errors { try? file.close() } }
        return try ChildProcess(Repository.binary.path, arguments, environment: environment ?? fixture.environment, stdin: .null,
                                stdout: .null, stderr: errors)
    }

    private func plan(_ fixture: BackupFixture) -> [String] {
        ["plan", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)", "--db", fixture.database,
         "--split-above", "100"]
    }

    private func work(_ fixture: BackupFixture, concurrency: Int = 4) -> [String] {
        ["work", "--db", fixture.database, "--until-idle", "--lease-seconds", "2", "--concurrency", String(concurrency)]
    }

    private func waitForExit(_ process: ChildProcess, within seconds: Double) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.signal(SIGKILL)
                throw HelperError("\(process.arguments.first ?? "") did not exit within \(seconds) s")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func count(_ database: String, _ sql: String) async throws -> Int {
        let queue = try SQLiteQueue(path: database)
        return try await queue.perform { db in Int(try db.integer(sql)) }
    }

    /// Worker A is throttled by its proxy; worker B, whose proxy never throttles, slows down too (the level is
    /// shared through the queue), and both go back to full speed once the throttling stops.
    @Test func aSlowDownToldToOneWorkerSlowsEveryWorker() async throws {
        let fixture = try await BackupFixture("fleet")
        defer { fixture.remove() }
        try await fixture.seed(2_500)
        let upstream = fixture.emulator.server.endpoint
        let proxyA = try await FaultProxy(upstream: upstream), proxyB = try await FaultProxy(upstream: upstream)
        #expect(try await run(Repository.binary, plan(fixture), environment: fixture.environment).status == 0)

        var environmentA = fixture.environment, environmentB = fixture.environment
        environmentA["AWS_ENDPOINT_URL"] = proxyA.endpoint
        environmentB["AWS_ENDPOINT_URL"] = proxyB.endpoint
        let logB = fixture.directory.appendingPathComponent("worker-b.log").path
        let workerA = try start(work(fixture), fixture, environment: environmentA)
        let workerB = try start(work(fixture), fixture, environment: environmentB, log: logB)
        defer { [workerA, workerB].forEach { $0.signal(SIGKILL); $0.waitUntilExit() } }

        // Let B reach full speed, then throttle A alone for four seconds.
        while try await proxyB.stats().requests < 150 { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .seconds(1))
        let throttleOn = try await proxyB.stats().times.last ?? 0
        try await proxyA.set(["slowdown": 1.0])
        try await Task.sleep(for: .seconds(4))
        try await proxyA.set([:])
        let throttleOff = try await proxyB.stats().times.last ?? 0

        try await waitForExit(workerA, within: 180)
        try await waitForExit(workerB, within: 180)
        let times = try await proxyB.stats().times
        func rate(_ from: Double, _ to: Double) -> Double {
            Double(times.filter { $0 >= from && $0 < to }.count) / (to - from)
        }
        let before = rate(throttleOn - 1, throttleOn)
        let during = rate(throttleOff - 2, throttleOff)  // the level has risen by then
        print("fleet backoff: worker B's requests/s before \(before), while A was throttled \(during)")
        #expect(before > 20, "B was busy before: \(before)/s")
        #expect(during < before / 2, "B slowed down although S3 never throttled it: \(before)/s → \(during)/s")
        let log = try String(contentsOfFile: logB, encoding: .utf8)
        #expect(log.contains("S3 is throttling (SlowDown)"), "\(log.suffix(1_000))")
        #expect(log.contains("throttling has stopped"), "B went back to full speed: \(log.suffix(1_000))")
        #expect(try await proxyA.stats().injected["slowdown"] ?? 0 > 0)

        let final = try await fixture.run()
        #expect(final.status == 0, "\(final.stderr)")
        try await fixture.expectEqual(sample: [])
    }

    /// kill -9 a random worker 20 times and the planner 3 times during one backup, restarting each: the backup
    /// ends equal to the primary, and tasks finished before a kill are not done again.
    @Test func aCrashStormLosesNothing() async throws {
        let fixture = try await BackupFixture("storm")
        defer { fixture.remove() }
        try await fixture.seed(2_500)
        try await fixture.seedAwkward()
        var generator = SystemRandomNumberGenerator()
        var planner = try start(plan(fixture), fixture)
        var workers = try (0..<3).map { _ in try start(work(fixture), fixture) }
        var kills = 0, plannerKills = 0
        var finishedBeforeKills: [Int64: Int64] = [:]
        // The storm starts once a task has finished, so there is finished work for it to (wrongly) redo: on a
        // loaded machine a worker killed every second may otherwise never finish one before the storm ends.
        // Workers that found nothing planned yet (and so exited) are started again meanwhile.
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if FileManager.default.fileExists(atPath: fixture.database), try await !fixture.succeededTasks().isEmpty { break }
            for index in workers.indices where !workers[index].isRunning { workers[index] = try start(work(fixture), fixture) }
            try await Task.sleep(for: .milliseconds(50))
        }
        while kills < 20 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 100...400, using: &generator)))
            let victim = Int.random(in: 0..<workers.count, using: &generator)
            kill(workers[victim].pid, SIGKILL)
            workers[victim].waitUntilExit()
            kills += 1
            if FileManager.default.fileExists(atPath: fixture.database) {
                finishedBeforeKills.merge(try await fixture.succeededTasks()) { $1 }
            }
            workers[victim] = try start(work(fixture), fixture)
            if kills % 6 == 2, plannerKills < 3 {
                planner.signal(SIGKILL)
                planner.waitUntilExit()
                plannerKills += 1
                planner = try start(plan(fixture), fixture)
            }
        }
        try await waitForExit(planner, within: 120)
        for worker in workers { try await waitForExit(worker, within: 240) }
        let remaining = try await count(fixture.database, "SELECT count(*) FROM tasks WHERE state != 'succeeded'")
        print("crash storm: \(kills) worker kills, \(plannerKills) planner kills, \(remaining) tasks left for the final run")

        let final = try await fixture.run()
        #expect(final.status == 0, "\(final.stderr)")
        try await fixture.expectEqual(sample: Array(awkwardKeys.prefix(6)) + ["big/three-parts.bin"])
        #expect(plannerKills == 3)
        #expect(!finishedBeforeKills.isEmpty)
        let after = try await fixture.succeededTasks()
        for (task, updated) in finishedBeforeKills { #expect(after[task] == updated, "task \(task) was redone") }
    }

    /// A worker told to stop at any moment of its start-up stops: before its handler is in place SIGTERM's default
    /// action ends it, after that the handler hears it, and at no moment in between is the signal ignored (as it was
    /// between `signal(SIG_IGN)` and a dispatch source's registration: one worker in 150 worked on under load).
    @Test func aStopSignalIsNeverLostWhateverMomentItComes() async throws {
        let directory = try TemporaryDirectory()
        let stopSignals: UInt64 = 1 << (UInt64(SIGTERM) - 1) | 1 << (UInt64(SIGINT) - 1)
        var (handled, ended) = (0, 0)
        for attempt in 0..<40 {
            let worker = try ChildProcess(Repository.binary.path, ["work", "--db", directory.file("queue.db"), "--concurrency", "2"],
                                          stdout: .null, stderr: .null)
            // Spread over start-up (about 50–150 ms here), watching what the worker does with the signals meanwhile.
            let moment = ContinuousClock.now + .milliseconds(4 * (attempt % 40))
            while ContinuousClock.now < moment {
                if let ignored = ProcessTable.ignoredSignals(worker.pid) {
                    #expect(ignored & stopSignals == 0, "attempt \(attempt): SIGTERM or SIGINT ignored for a moment")
                }
            }
            worker.signal(attempt.isMultiple(of: 2) ? SIGTERM : SIGINT)
            try await waitForExit(worker, within: 20)
            switch worker.termination {
            case .exited(let status): #expect(status == 0, "attempt \(attempt)"); handled += 1
            case .signaled(let signal): #expect([SIGTERM, SIGINT].contains(signal), "attempt \(attempt)"); ended += 1
            case nil: Issue.record("attempt \(attempt): still running")
            }
        }
        print("stop signals at start-up: \(handled) heard by the handler, \(ended) before it, none lost")
    }

    /// SIGTERM to every worker again and again: each stops cleanly (exit 0), and none leaves a task leased.
    @Test func aSigtermStormLeavesNoTaskLeased() async throws {
        let fixture = try await BackupFixture("termstorm")
        defer { fixture.remove() }
        try await fixture.seed(1_500)
        #expect(try await run(Repository.binary, plan(fixture), environment: fixture.environment).status == 0)
        for round in 1...5 {
            let workers = try (0..<2).map { _ in try start(work(fixture, concurrency: 8), fixture) }
            // Once both hold leases they are past start-up (their SIGTERM handlers are in place).
            let deadline = ContinuousClock.now + .seconds(60)
            while try await count(fixture.database, "SELECT count(DISTINCT lease_owner) FROM tasks WHERE state = 'running'") < 2,
                  try await count(fixture.database, "SELECT count(*) FROM tasks WHERE state = 'ready'") > 0,
                  ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(50 * round))
            for worker in workers { worker.signal(SIGTERM) }
            for worker in workers {
                try await waitForExit(worker, within: 60)
                #expect(worker.termination == .exited(0), "round \(round): a clean stop")
            }
            #expect(try await count(fixture.database, "SELECT count(*) FROM tasks WHERE state = 'running'") == 0,
                    "round \(round): no task left leased")
        }
        let final = try await fixture.run()
        #expect(final.status == 0, "\(final.stderr)")
        try await fixture.expectEqual(sample: [])
    }
}
