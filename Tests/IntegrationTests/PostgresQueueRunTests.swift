import Foundation
@testable import Queue
import S3
import Spawn
import TestSupport
import Testing

/// Real backups with the queue on PostgreSQL: the built binary, `--db postgresql://…`, against moto and RGW.
@Suite("s3backup run with its queue on PostgreSQL", .timeLimit(.minutes(10)))
struct PostgresQueueRunTests {
    /// A backup, a second run that copies nothing, and the operator's commands, all on a PostgreSQL queue.
    @Test(arguments: Provider.allCases)
    func aBackupOnAPostgreSQLQueueIsEqualAndTheNextCopiesNothing(provider: Provider) async throws {
        let fixture = try await BackupFixture("pgrun", provider: provider, queue: .postgres)
        defer { fixture.remove() }
        try await fixture.seed(300)
        try await fixture.seedAwkward()
        let first = try await fixture.run(["--split-above", "100"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.reports.last?.int("work", "copied") == 300 + awkwardKeys.count + 1)
        try await fixture.expectEqual(sample: awkwardKeys + ["big/three-parts.bin"])
        let second = try await fixture.run()
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.reports.last?.int("work", "copied") == 0)
        #expect(second.reports.last?.int("plan", "same") == 300 + awkwardKeys.count + 1)

        let environment = fixture.environment
        let status = try await IntegrationTests.run(Repository.binary, ["status", "--db", fixture.database], environment: environment)
        #expect(status.status == 0 && status.stdoutText.contains("finished"), "\(status.stdoutText) \(status.stderr)")
        let report = try await IntegrationTests.run(Repository.binary, ["report", "--db", fixture.database, "--json"],
                                                    environment: environment)
        let verification = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout)) as? [String: Any])
        #expect(verification.int("verification", "unexplained") == 0, "\(report.stdoutText) \(report.stderr)")
        let failed = try await IntegrationTests.run(Repository.binary, ["failed", "--db", fixture.database], environment: environment)
        #expect(failed.stdoutText == "no failed tasks\n")
        let pruned = try await IntegrationTests.run(Repository.binary, ["prune", "--db", fixture.database, "--older-than-days", "0"],
                                                    environment: environment)
        #expect(pruned.status == 0 && pruned.stdoutText.contains("removed 2 runs"), "\(pruned.stdoutText) \(pruned.stderr)")
    }

    /// PostgreSQL stops (a fast shutdown: every connection dropped) in the middle of a run and comes back: the
    /// planner and the workers reconnect and carry on, and the backup is equal. (Leases of 20 s: the planner's
    /// writes, which no lease guards, are tried again for half of one.)
    @Test func aServerRestartMidRunIsRiddenOut() async throws {
        let server = try PostgresServer()
        let fixture = try await BackupFixture("pgrestart", queue: .postgres, queueServer: server)
        defer { fixture.remove() }
        try await fixture.seed(900)
        let output = Pipe(), errors = fixture.directory.appendingPathComponent("run.err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let errorFile = try FileHandle(forWritingTo: errors)
        defer { try? errorFile.close() }
        let process = try ChildProcess(Repository.binary.path, [
            "run", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)", "--db", fixture.database,
            "--workers", "2", "--lease-seconds", "20", "--split-above", "100", "--log-dir", fixture.logDirectory, "--json",
        ] + fixture.flags, environment: fixture.environment, stdin: .null, stdout: .pipe(output), stderr: .file(errorFile))
        defer { if process.isRunning { process.signal(SIGKILL); process.waitUntilExit() } }
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning, ContinuousClock.now < deadline {
            if try fixture.queueExists(), try await !fixture.succeededTasks().isEmpty { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(process.isRunning, "the run was still going when the server stopped")
        server.stop()
        try await Task.sleep(for: .seconds(2))
        try server.start()
        let reports = try await onThreadOfItsOwn { output.fileHandleForReading.readDataToEndOfFile() }
        process.waitUntilExit()
        #expect(process.termination == .exited(0), "see \(fixture.logDirectory)")
        let report = try #require((try JSONSerialization.jsonObject(with: reports) as? [[String: Any]])?.last)
        #expect(report.int("work", "copied") == 900)
        // The processes said what they rode out (a worker idle at that moment may have had nothing to say).
        let said = try String(contentsOf: errors, encoding: .utf8)
        #expect(said.contains("trying again, with backoff, for up to 300 s") && said.contains(": back after "), "\(said)")
        try await fixture.expectEqual(sample: [BackupFixture.seededKey(7)])
    }
}
