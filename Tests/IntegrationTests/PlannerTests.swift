import Queue
@testable import Backup
import Foundation
import S3
import TestSupport
import Testing

@Suite("Planner against the emulator", .timeLimit(.minutes(10)))
struct PlannerTests {
    /// Splitting by prefix covers every key exactly once: the units' findings add up to one sequential listing's.
    @Test func splitUnitsCoverTheKeySpaceExactlyOnce() async throws {
        let fixture = try await BackupFixture("split")
        defer { fixture.remove() }
        try await fixture.seed(300)
        try await fixture.seed(40, prefix: "other")
        for key in ["top-level", "clients", "clients0/x", "clients/", "zz/deep/er/key", "caf\u{E9}/nfc", "cafe\u{301}/nfd",
                    "/leading", "//double"] {
            try await fixture.sourceClient.putObject(bucket: fixture.primary, key: key, body: BytesBody([1]))
        }
        // The backup holds keys the source lacks, under prefixes the source lacks too.
        for key in ["only-backup/a", "clients/999/audio/x", "zz/gone"] {
            try await fixture.backupClient.putObject(bucket: fixture.backup, key: key, body: BytesBody([2]))
        }
        var parameters = RunParameters(source: Side(url: "s3://\(fixture.primary)"), backup: Side(url: "s3://\(fixture.backup)"))
        parameters.splitThreshold = 50
        let planner = try Planner(parameters: parameters, source: fixture.sourceClient, backup: fixture.backupClient)
        let discovery = try await planner.discover()
        #expect(discovery.units.count > 30)
        #expect(discovery.units.contains(.deep("only-backup/")))
        #expect(discovery.sourcePages == nil)
        let split = try await planner.planAll(into: PreviewSink())

        parameters.splitThreshold = 1_000_000
        let whole = try Planner(parameters: parameters, source: fixture.sourceClient, backup: fixture.backupClient)
        #expect(try await whole.discover().units == [.deep("")])
        let sequential = try await whole.planAll(into: PreviewSink())
        #expect(split == sequential)
        #expect(sequential.missing == 349)
        #expect(sequential.extra == 3)
    }

    @Test func aPrefixedRunMapsKeysBetweenPrefixes() async throws {
        let fixture = try await BackupFixture("prefixed")
        defer { fixture.remove() }
        try await fixture.seed(20, prefix: "a")
        try await fixture.seed(5, prefix: "b")
        let parameters = RunParameters(source: Side(url: "s3://\(fixture.primary)/a/"), backup: Side(url: "s3://\(fixture.backup)/copies/a/"))
        let sink = PreviewSink(sampleSize: 100)
        let planner = try Planner(parameters: parameters, source: fixture.sourceClient, backup: fixture.backupClient)
        let findings = try await planner.planAll(into: sink)
        #expect(findings.missing == 20)
        #expect(sink.samples.copies.allSatisfy { !$0.hasPrefix("a/") && $0.hasSuffix(".bin") })
    }
}

@Suite("plan and work, the built binary", .timeLimit(.minutes(10)))
struct PlanAndWorkTests {
    @Test func aDryRunChangesNothing() async throws {
        let fixture = try await BackupFixture("dryrun")
        defer { fixture.remove() }
        try await fixture.seed(30)
        try await fixture.backupClient.putObject(bucket: fixture.backup, key: "stale", body: BytesBody([1]))
        let result = try await run(Repository.binary, ["plan", "--dryrun", "--source", "s3://\(fixture.primary)",
                                                       "--backup", "s3://\(fixture.backup)", "--max-delete", "5"],
                                   environment: fixture.environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.contains("30 new"))
        #expect(result.stdoutText.contains("1 only in the backup"))
        #expect(result.stdoutText.contains("first to copy:\n  clients/"))
        #expect(result.stdoutText.contains("first to delete:\n  stale"))
        #expect(try await fixture.emulator.keys(fixture.backup) == ["stale"])
        #expect(!FileManager.default.fileExists(atPath: fixture.database))
    }

    @Test func aSecondPlannerIsRefused() async throws {
        let fixture = try await BackupFixture("planners")
        defer { fixture.remove() }
        let queue = try SQLiteQueue(path: fixture.database)
        let parameters = RunParameters(source: Side(url: "s3://\(fixture.primary)"), backup: Side(url: "s3://\(fixture.backup)"))
        let run = try await queue.createRun(kind: "backup", source: parameters.source.url, destination: parameters.backup.url,
                                            parameters: try parameters.encoded())
        // A live planner elsewhere holds the lease.
        #expect(try await queue.acquirePlanner(run: run, owner: "elsewhere:1", replacing: nil))
        let result = try await IntegrationTests.run(Repository.binary, ["plan", "--source", "s3://\(fixture.primary)",
                                                                        "--backup", "s3://\(fixture.backup)", "--db", fixture.database],
                                                    environment: fixture.environment)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("is being planned by elsewhere:1"))
        // A planner on this host whose process is gone is replaced at once.
        #expect(try await queue.acquirePlanner(run: run, owner: "\(ProcessInfo.processInfo.hostName):2147483646", replacing: "elsewhere:1"))
        let resumed = try await IntegrationTests.run(Repository.binary, ["plan", "--source", "s3://\(fixture.primary)",
                                                                         "--backup", "s3://\(fixture.backup)", "--db", fixture.database],
                                                     environment: fixture.environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdoutText == "\(run)\n")
    }

    /// The cron-and-systemd way: `plan` nightly, workers separately. Each night's plan makes a new run once the
    /// previous one is done.
    @Test func planAndWorkNightAfterNight() async throws {
        let fixture = try await BackupFixture("plan-work")
        defer { fixture.remove() }
        try await fixture.seed(20)
        let plan = ["plan", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)", "--db", fixture.database]
        let work = ["work", "--db", fixture.database, "--until-idle"]
        for night in 1...2 {
            let planned = try await run(Repository.binary, plan, environment: fixture.environment)
            #expect(planned.status == 0, "\(planned.stderr)")
            #expect(planned.stdoutText == "\(night)\n")
            let worked = try await run(Repository.binary, work, environment: fixture.environment)
            #expect(worked.status == 0, "\(worked.stderr)")
            try await fixture.expectEqual(sample: [])
            try await fixture.sourceClient.putObject(bucket: fixture.primary, key: "night-\(night)", body: BytesBody([1]))
        }
        let runs = try await SQLiteQueue(path: fixture.database).runs(limit: 10)
        #expect(runs.map(\.state) == [.finished, .finished])
    }

    /// Deletes a crashed planning attempt left behind are dropped when their unit is planned again.
    @Test func staleHeldDeletesAreDropped() async throws {
        let fixture = try await BackupFixture("stale")
        defer { fixture.remove() }
        try await fixture.seed(10)
        let queue = try SQLiteQueue(path: fixture.database)
        let parameters = RunParameters(source: Side(url: "s3://\(fixture.primary)"), backup: Side(url: "s3://\(fixture.backup)"))
        let runID = try await queue.createRun(kind: "backup", source: parameters.source.url, destination: parameters.backup.url,
                                              parameters: try parameters.encoded())
        try await queue.addUnits(run: runID, units: ["deep:"])
        // An earlier attempt saw "keep-me" only in the backup and queued its delete; the primary has it now.
        try await fixture.sourceClient.putObject(bucket: fixture.primary, key: "keep-me", body: BytesBody([7]))
        try await fixture.backupClient.putObject(bucket: fixture.backup, key: "keep-me", body: BytesBody([7]))
        let stale = try JSONEncoder().encode(["keys": ["keep-me"]])
        try await queue.enqueue([NewTask(kind: "delete", uniqueKey: "delete:stale", payload: Array(stale), unit: "deep:")],
                                run: runID, held: true)
        let result = try await fixture.run()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.reports.first?.int("work", "deleted") == 0)
        try await fixture.expectEqual(sample: [])
        #expect(try await fixture.emulator.keys(fixture.backup).contains("keep-me"))
    }

    /// A run left planning by a dead planner of another pair of buckets does not hold this run's workers.
    @Test func anotherPairsStuckPlanDoesNotBlock() async throws {
        let fixture = try await BackupFixture("unblocked")
        defer { fixture.remove() }
        try await fixture.seed(5)
        let queue = try SQLiteQueue(path: fixture.database)
        _ = try await queue.createRun(kind: "backup", source: "s3://elsewhere", destination: "s3://elsewhere-b", parameters: "{}")
        let result = try await fixture.run(timeout: .seconds(60))
        #expect(result.status == 0, "\(result.stderr)")
        try await fixture.expectEqual(sample: [])
    }

    /// A worker told to stop finishes the task it holds and claims no other. It is frozen (SIGSTOP) while the test
    /// counts, so a slow test process cannot let it run through the queue before the signal lands.
    @Test func sigtermStopsAWorkerCleanly() async throws {
        let fixture = try await BackupFixture("sigterm")
        defer { fixture.remove() }
        try await fixture.seed(600)
        let planned = try await run(Repository.binary, ["plan", "--source", "s3://\(fixture.primary)", "--backup",
                                                        "s3://\(fixture.backup)", "--db", fixture.database],
                                    environment: fixture.environment)
        #expect(planned.status == 0, "\(planned.stderr)")
        let queue = try SQLiteQueue(path: fixture.database)
        let total = try #require(try await queue.runs(limit: 1).first).tasks.values.reduce(0, +)
        let worker = try Started(Repository.binary, ["work", "--db", fixture.database, "--concurrency", "1"],
                                 environment: fixture.environment, output: fixture.directory)
        defer { worker.stop() }
        try await eventually("the worker to claim a task", within: .seconds(60)) {
            let tasks = try await queue.runs(limit: 1).first?.tasks ?? [:]
            return (tasks["running"] ?? 0) + (tasks["succeeded"] ?? 0) > 0 ? true : nil
        }
        kill(worker.pid, SIGSTOP)
        try await eventually("the worker to be stopped", within: .seconds(10)) { ProcessTable.state(worker.pid) == "T" ? true : nil }
        let done = try #require(try await queue.runs(limit: 1).first).tasks["succeeded"] ?? 0
        kill(worker.pid, SIGTERM)
        kill(worker.pid, SIGCONT)
        // Finishing the task in hand (up to 100 copies) may take a while on a loaded machine; the bound is for a hang.
        let result = try await worker.wait(timeout: .seconds(180))
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(try await queue.runs(limit: 1).first)
        let succeeded = summary.tasks["succeeded"] ?? 0
        #expect(summary.tasks["running"] == 0, "the worker finished what it held before exiting")
        #expect(succeeded >= max(done, 1), "the task in hand was finished, not dropped")
        // The task in hand, and at most one claimed in the instant before the signal's handler ran.
        #expect(succeeded <= done + 2, "it stopped claiming: \(succeeded) of \(total) done, \(done) when signalled")
        #expect((summary.tasks["ready"] ?? 0) == total - succeeded)
    }
}


