import Foundation
@testable import Queue
import S3
import TestSupport
import Testing

/// Every way a nightly `run` can end is said: failures before planning are mailed and logged, a stop is reported
/// with how far the run got, and a run whose `run` was killed is reported by the next one.
@Suite("every outcome of run is told", .timeLimit(.minutes(10)))
struct RunOutcomeTests {
    private func mailFlags(_ sink: MailTests.Sink) -> [String] {
        ["--mail-to", "ops@example.test", "--mail-from", "backup@example.test", "--smtp-url", sink.url]
    }

    /// The decoded Subject of a mail the sink kept.
    private func subject(_ text: String) -> String { MailTests.Sink.subject(of: text) }

    private func logText(_ fixture: BackupFixture) throws -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fixture.logDirectory)) ?? []
        return try names.map { try String(contentsOfFile: fixture.logDirectory + "/" + $0, encoding: .utf8) }.joined()
    }

    enum Failure: String, CaseIterable { case missingBucket, wrongCredentials, unreachable }

    @Test(arguments: Failure.allCases)
    func aFailureBeforePlanningIsMailedAndLogged(_ failure: Failure) async throws {
        let sink = try await MailTests.Sink()
        var fixture = try await BackupFixture("fail-\(failure.rawValue.prefix(8).lowercased())")
        defer { fixture.remove() }
        var backup = fixture.backup
        var strict: HelperServer?
        let expected: (status: Int32, reason: String)
        switch failure {
        case .missingBucket:
            backup = "no-such-bucket-\(UUID().uuidString.prefix(8).lowercased())"
            expected = (78, "NoSuchBucket")
        case .wrongCredentials:
            strict = try await HelperServer(script: "emulator.py", arguments: ["INITIAL_NO_AUTH_ACTION_COUNT=0"])
            fixture.environment["AWS_ENDPOINT_URL"] = strict?.endpoint
            fixture.environment["AWS_SECRET_ACCESS_KEY"] = "WRONG-SECRET-MARKER"
            expected = (77, "InvalidAccessKeyId")
        case .unreachable:
            fixture.environment["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1"
            expected = (69, "Failed to connect to 127.0.0.1 port 1")
        }
        let result = try await run(Repository.binary, ["run", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(backup)",
                                                       "--db", fixture.database, "--log-dir", fixture.logDirectory]
                                       + mailFlags(sink), environment: fixture.environment, timeout: .seconds(120))
        #expect(result.status == expected.status, "\(result.stderr)")
        let line = errorLine(result)
        let mail = try #require(try sink.messages().first, "a mail for \(failure)")
        let said = subject(mail.text)
        #expect(said.hasPrefix("[s3backup] FAILED: run s3://\(fixture.primary) → s3://\(backup): "), "\(said)")
        #expect(said.contains(expected.reason) || mail.text.contains(expected.reason), "\(said)")
        #expect(line.contains(expected.reason), "\(line)")
        let log = try logText(fixture)
        #expect(log.contains(String(line.dropFirst("s3backup: ".count)).prefix(60)), "the log has the reason: \(log)")
        #expect(!log.contains("WRONG-SECRET-MARKER") && !mail.text.contains("WRONG-SECRET-MARKER"))
    }

    @Test func theShippedCronLinesKeepStandardError() throws {
        let cron = try String(contentsOf: Repository.root.appendingPathComponent("ops/cron/s3backup"), encoding: .utf8)
        let commands = cron.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains("/usr/local/bin/s3backup") }
        #expect(commands.count == 3)
        for line in commands { #expect(!line.contains("2>"), "cron mails what s3backup writes to standard error: \(line)") }
        #expect(cron.contains("\nMAILTO="))
    }

    @Test func aRunThatFailsBeforeListingIsCancelledNotResumed() async throws {
        let fixture = try await BackupFixture("nosource")
        defer { fixture.remove() }
        try await fixture.seed(3)
        let missing = "no-such-source-\(UUID().uuidString.prefix(8).lowercased())"
        let failed = try await run(Repository.binary, ["run", "--source", "s3://\(missing)", "--backup", "s3://\(fixture.backup)",
                                                       "--db", fixture.database, "--log-dir", fixture.logDirectory],
                                   environment: fixture.environment)
        #expect(failed.status == 78, "\(failed.stderr)")
        let record = try await SQLiteQueue(path: fixture.database).run(1)
        #expect(record.state == .cancelled && record.note?.contains("planning failed before anything was listed") == true)
        let next = try await fixture.run()
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.reports.count == 1 && !next.stderr.contains("finishing it first"))
    }

    /// A run (or, `restoring`, a restore of a backup made first, into an emptied primary) with one object the proxy
    /// holds back, so its workers are busy when the test acts.
    private func busyRun(_ label: String, sink: MailTests.Sink, restoring: Bool = false) async throws
        -> (BackupFixture, FaultProxy, Started) {
        var fixture = try await BackupFixture(label)
        try await fixture.seed(6)
        _ = try await fixture.sourceClient.putObject(bucket: fixture.primary, key: "held/by-the-proxy.bin", body: BytesBody(Array("held".utf8)))
        let command: [String]
        if restoring {
            #expect(try await fixture.run().status == 0)
            let keys = try await fixture.emulator.keys(fixture.primary)
            _ = try await fixture.sourceClient.deleteObjects(bucket: fixture.primary, keys.map { ObjectVersionRef(key: $0) })
            command = ["restore", "--from", "s3://\(fixture.backup)", "--to", "s3://\(fixture.primary)", "--yes"] + fixture.encryptionFlags
        } else {
            command = ["run", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)", "--json"] + fixture.flags
        }
        let proxy = try await FaultProxy(upstream: fixture.emulator.server.endpoint, stallSeconds: 30)
        try await proxy.set(["stall": 1.0], only: "held/by-the-proxy")
        fixture.environment.merge(["AWS_ENDPOINT_URL": proxy.endpoint, "S3BACKUP_STALL_SECONDS": "2"]) { $1 }
        let started = try Started(Repository.binary,
                                  command + ["--db", fixture.database, "--workers", "2", "--lease-seconds", "4",
                                             "--log-dir", fixture.logDirectory] + mailFlags(sink),
                                  environment: fixture.environment, output: fixture.directory)
        try await eventually("the run's workers", within: .seconds(60)) {
            ProcessTable.workers(on: fixture.database).isEmpty ? nil : true
        }
        return (fixture, proxy, started)
    }

    /// A run or a restore stopped by a signal says so (stderr, log, mail) and how far it got, exits 5, takes its
    /// workers with it, and the next command of its kind finishes it.
    @Test(arguments: [("run", SIGTERM), ("run", SIGINT), ("restore", SIGTERM)])
    func aStoppedRunIsReportedAndTheNextFinishesIt(_ command: String, _ signal: Int32) async throws {
        let sink = try await MailTests.Sink()
        let restoring = command == "restore"
        let (fixture, proxy, started) = try await busyRun("stopped-\(command)", sink: sink, restoring: restoring)
        defer { fixture.remove() }
        // A restore's run comes after the backup it restores from.
        let (run, locations) = restoring ? (2, "s3://\(fixture.backup) → s3://\(fixture.primary)")
            : (1, "s3://\(fixture.primary) → s3://\(fixture.backup)")
        kill(started.pid, signal)
        let stopped = try await started.wait(timeout: .seconds(90))
        #expect(stopped.status == 5, "\(stopped.stderr)")
        let next = restoring ? "the same `s3backup restore` command finishes it" : "the next `s3backup run` finishes it"
        #expect(stopped.stderr.contains("\(restoring ? "restore" : "backup") run \(run) (\(locations)) was stopped before it finished: ")
                    && stopped.stderr.contains("tasks done; \(next)"), "\(stopped.stderr)")
        #expect(ProcessTable.workers(on: fixture.database).isEmpty, "the workers stopped with it")
        let mail = try #require(try sink.messages().first)
        #expect(subject(mail.text).hasPrefix("[s3backup] STOPPED: \(command) \(locations): "), "\(subject(mail.text))")
        #expect(try logText(fixture).contains("was stopped before it finished"))
        #expect(try await SQLiteQueue(path: fixture.database).run(RunID(run)).state != .finished, "left for the next command")

        try await proxy.set([:])
        let finished = restoring ? try await fixture.restore(["--yes"]).stderr : try await fixture.run().stderr
        #expect(finished.contains("run \(run) between these buckets is unfinished: finishing it first"), "\(finished)")
        if restoring {
            #expect(try await fixture.emulator.keys(fixture.primary).contains("held/by-the-proxy.bin"))
        } else {
            try await fixture.expectEqual(sample: [])
        }
    }

    @Test func aKilledRunIsReportedByTheNext() async throws {
        let sink = try await MailTests.Sink()
        let (fixture, proxy, started) = try await busyRun("killed-run", sink: sink)
        defer { fixture.remove() }
        kill(started.pid, SIGKILL)
        _ = try await started.wait(timeout: .seconds(10))
        try await eventually("the orphaned workers to stop", within: .seconds(60)) {
            ProcessTable.workers(on: fixture.database).isEmpty ? true : nil
        }
        #expect(try await SQLiteQueue(path: fixture.database).run(1).state != .finished, "orphans did not finish it unreported")
        try await proxy.set([:])
        let next = try await fixture.run(mailFlags(sink))
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.reports.count == 2, "the killed run is reported first: \(next.stderr)")
        #expect(next.reports.first?["resumed"] as? Bool == true)
        #expect(try sink.messages().count == 2, "both runs mailed")
    }
}
