import Foundation
@testable import Queue
import S3
import Spawn
import TestSupport
import Testing

@Suite("s3backup run, the built binary against moto and RGW", .timeLimit(.minutes(10)))
struct BackupRunTests {
    @Test(arguments: Provider.allCases)
    func aFullRunMakesTheBackupEqualAndASecondRunCopiesNothing(provider: Provider) async throws {
        let fixture = try await BackupFixture("full", provider: provider)
        defer { fixture.remove() }
        try await fixture.seed(1_500)
        try await fixture.seedAwkward()
        let first = try await fixture.run(["--split-above", "100"])
        #expect(first.status == 0, "\(first.stderr)")
        let report = try #require(first.reports.last)
        #expect(report.int("plan", "missing") == 1_500 + awkwardKeys.count + 1)
        #expect(report.int("work", "copied") == 1_500 + awkwardKeys.count + 1)
        #expect(report.int("work", "multipart") == 1)
        #expect(report.int("work", "verified_by_etag") == 1_500 + awkwardKeys.count + 1)
        try await fixture.expectEqual(sample: awkwardKeys + ["big/three-parts.bin", BackupFixture.seededKey(5)])

        let second = try await fixture.run()
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.reports.last?.int("work", "copied") == 0)
        #expect(second.reports.last?.int("plan", "same") == 1_500 + awkwardKeys.count + 1)
    }

    /// Parts of 6, 5 and 1 MiB + 1 KiB: no common part size reproduces them. Where the provider tells the layout
    /// (moto, AWS) the copy is part for part and its ETag equal; where it does not (RGW) the copy's ETag differs, is
    /// verified by size, recorded, and the next run finds the object unchanged rather than copying it every night.
    @Test(arguments: Provider.allCases)
    func aMultipartObjectWhoseLayoutCannotBeReadIsCopiedOnce(provider: Provider) async throws {
        let fixture = try await BackupFixture("relayout", provider: provider)
        defer { fixture.remove() }
        let client = fixture.sourceClient, key = "big/odd-parts.bin"
        let upload = try await client.createMultipartUpload(bucket: fixture.primary, key: key)
        var parts: [CompletedPart] = []
        for (number, size) in [(1, 6 << 20), (2, 5 << 20), (3, (1 << 20) + 1_024)] {
            parts.append(try await client.uploadPart(bucket: fixture.primary, key: key, uploadID: upload, number: number,
                                                     body: BytesBody([UInt8](repeating: UInt8(number), count: size))))
        }
        try await client.completeMultipartUpload(bucket: fixture.primary, key: key, uploadID: upload, parts: parts)
        try await fixture.seed(5)

        let first = try await fixture.run()
        #expect(first.status == 0, "\(first.stderr)")
        let report = try #require(first.reports.last)
        #expect(report.int("work", "copied") == 6)
        #expect(report.int("work", "multipart") == 1)
        #expect(report.int("work", "relayouts") == (provider.readsPartLayouts ? 0 : 1))
        #expect(report.int("work", "verified_by_size") == (provider.readsPartLayouts ? 0 : 1))
        // The report and the drill read the record: the differing ETag is explained, not a difference.
        let checked = try await IntegrationTests.run(Repository.binary, ["report", "--db", fixture.database, "--json"],
                                                     environment: fixture.environment)
        let verification = try #require(try JSONSerialization.jsonObject(with: Data(checked.stdout)) as? [String: Any])
        #expect(verification.int("verification", "unexplained") == 0, "\(checked.stdoutText)")
        let drill = try await IntegrationTests.run(
            Repository.binary, ["verify", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)",
                                "--db", fixture.database, "--sample", "6"], environment: fixture.environment)
        #expect(drill.status == 0, "\(drill.stdoutText) \(drill.stderr)")
        let source = try await client.headObject(bucket: fixture.primary, key: key)
        let copy = try await fixture.backupClient.headObject(bucket: fixture.backup, key: key)
        #expect(copy.size == source.size)
        #expect((copy.etag == source.etag) == provider.readsPartLayouts)
        let bodyA = BytesSink(), bodyB = BytesSink()
        try await client.getObject(bucket: fixture.primary, key: key, to: bodyA)
        try await fixture.backupClient.getObject(bucket: fixture.backup, key: key, to: bodyB)
        #expect(bodyA.bytes == bodyB.bytes)

        let second = try await fixture.run()
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.reports.last?.int("work", "copied") == 0)
        #expect(second.reports.last?.int("plan", "same") == 6)
        #expect(second.reports.last?.int("plan", "same_by_record") == (provider.readsPartLayouts ? 0 : 1))
        // A restore reads the backup's record the other way round: nothing in the primary to overwrite.
        let restore = try await IntegrationTests.run(
            Repository.binary, ["restore", "--from", "s3://\(fixture.backup)", "--to", "s3://\(fixture.primary)",
                                "--db", fixture.database, "--dryrun"], environment: fixture.environment)
        #expect(restore.stdoutText.contains("0 to copy, 0 to overwrite, 6 unchanged"), "\(restore.stdoutText) \(restore.stderr)")

        // Changed in the primary: the record no longer matches, and the object is copied again.
        try await client.putObject(bucket: fixture.primary, key: key, body: BytesBody(Array("small now".utf8)))
        let third = try await fixture.run()
        #expect(third.reports.last?.int("plan", "changed") == 1)
        #expect(third.reports.last?.int("work", "copied") == 1)
    }

    @Test(arguments: Provider.allCases)
    func theNextRunDoesExactlyWhatChanged(provider: Provider) async throws {
        let fixture = try await BackupFixture("incremental", provider: provider)
        defer { fixture.remove() }
        try await fixture.seed(200)
        #expect(try await fixture.run().status == 0)
        let client = fixture.sourceClient
        try await client.putObject(bucket: fixture.primary, key: BackupFixture.seededKey(1), body: BytesBody(Array("changed".utf8)))
        try await client.putObject(bucket: fixture.primary, key: "clients/new/added.bin", body: BytesBody(Array("added".utf8)))
        try await client.deleteObject(bucket: fixture.primary, key: BackupFixture.seededKey(2))
        let next = try await fixture.run()
        #expect(next.status == 0, "\(next.stderr)")
        let report = try #require(next.reports.last)
        #expect(report.int("plan", "missing") == 1)
        #expect(report.int("plan", "changed") == 1)
        #expect(report.int("plan", "changed_size") == 1, "the rule that decided: the size differs")
        #expect(report.int("plan", "extra") == 1)
        #expect(report.int("work", "copied") == 2)
        #expect(report.int("work", "deleted") == 1)
        try await fixture.expectEqual(sample: [BackupFixture.seededKey(1), "clients/new/added.bin"])
    }

    @Test func theRunLogNamesEveryChangeKeepsNoSecretAndExpiresOldLogs() async throws {
        var fixture = try await BackupFixture("logs")
        defer { fixture.remove() }
        fixture.environment["AWS_SESSION_TOKEN"] = "SESSIONTOKEN-MARKER"
        try await fixture.seed(40)
        try FileManager.default.createDirectory(atPath: fixture.logDirectory, withIntermediateDirectories: true)
        let old = fixture.logDirectory + "/backup-20200101-000000.log", recent = fixture.logDirectory + "/backup-29990101-000000.log"
        let unrelated = fixture.logDirectory + "/notes.txt"
        for path in [old, recent, unrelated] { try Data("x\n".utf8).write(to: URL(fileURLWithPath: path)) }
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -40 * 86_400)], ofItemAtPath: old)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -40 * 86_400)], ofItemAtPath: unrelated)
        #expect(try await fixture.run().status == 0)
        try await fixture.sourceClient.deleteObject(bucket: fixture.primary, key: BackupFixture.seededKey(3))
        #expect(try await fixture.run().status == 0)

        let logs = try FileManager.default.contentsOfDirectory(atPath: fixture.logDirectory).filter { $0.hasPrefix("backup-") }
        #expect(!logs.contains("backup-20200101-000000.log"), "a log older than the retention is removed")
        #expect(logs.contains("backup-29990101-000000.log"))
        #expect(FileManager.default.fileExists(atPath: unrelated), "files that are not run logs are left alone")
        let text = try logs.map { try String(contentsOfFile: fixture.logDirectory + "/" + $0, encoding: .utf8) }.joined()
        #expect(text.components(separatedBy: "copied \"clients/").count - 1 == 40, "one line per copied object")
        #expect(text.contains("deleted \(BackupFixture.seededKey(3).debugDescription)"))
        #expect(text.contains("success"))
        for secret in ["test-secret", "SESSIONTOKEN-MARKER"] { #expect(!text.contains(secret)) }
    }

    @Test func theReportComparesTheBucketsAndExplainsDifferences() async throws {
        let fixture = try await BackupFixture("report")
        defer { fixture.remove() }
        try await fixture.seed(50)
        // LastModified has whole seconds: the run starts in a later second than the seeding, so the seeded objects predate it.
        try await WholeSeconds.turn()
        let ran = try await fixture.run()
        #expect(ran.status == 0)
        let seconds = try #require(ran.reports.first?["seconds"] as? Double)
        func report() async throws -> (Int32, [String: Any]) {
            let result = try await IntegrationTests.run(Repository.binary, ["report", "--db", fixture.database, "--json"],
                                                        environment: fixture.environment)
            return (result.status, try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any]))
        }
        var (status, json) = try await report()
        #expect(status == 0)
        #expect(json.int("work", "copied") == 50)
        #expect(json.int("tasks", "succeeded") == 1)
        #expect(json.int("verification", "source_objects") == 50)
        #expect(json.int("verification", "backup_objects") == 50)
        #expect(json.int("verification", "unexplained") == 0)
        #expect(json["seconds"] as? Double == seconds, "run and report give the run one duration")

        // Written to the primary after the run began: explained.
        try await fixture.sourceClient.putObject(bucket: fixture.primary, key: "late-arrival", body: BytesBody([1]))
        (status, json) = try await report()
        #expect(status == 0)
        #expect(json.int("verification", "missing") == 1)
        #expect(json.int("verification", "written_during_run") == 1)
        // The HTML page, rendered by headless Chromium, shows the numbers.
        let page = fixture.directory.appendingPathComponent("report.html").path
        let html = try await IntegrationTests.run(Repository.binary, ["report", "--db", fixture.database, "--html", page],
                                                  environment: fixture.environment)
        #expect(html.status == 0, "\(html.stderr)")
        let rendered = try await IntegrationTests.run(
            URL(fileURLWithPath: "/usr/bin/chromium"),
            ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://\(page)"],
            environment: isolatedEnvironment(["HOME": fixture.directory.path]), timeout: .seconds(90))
        #expect(rendered.status == 0, "chromium: \(rendered.stderr.suffix(500))")
        for text in ["Backup run 1", "success", "50 objects", "51 objects", "Throughput over the run", "Work per prefix",
                     "1 written to the primary since the run began", String(format: "%.1f s", seconds)] {
            #expect(rendered.stdoutText.contains(text), "the page shows \(text.debugDescription)")
        }
        // Gone from the backup behind the tool's back: unexplained, and the exit status says so.
        try await fixture.backupClient.deleteObject(bucket: fixture.backup, key: BackupFixture.seededKey(7))
        (status, json) = try await report()
        #expect(status == 1)
        #expect(json.int("verification", "unexplained") == 1)
    }

    /// Archived objects cannot be copied until retrieved (S3 answers 403 ObjectNotInActiveTierError to a copy): the
    /// run does not try, leaves no dead task with S3's raw error, and is partial, naming exactly those objects as
    /// archived in the primary and not copied, in the report, its JSON and its page; everything else is done and counted.
    @Test func unreadableObjectsMakeAPartialRunThatNamesThem() async throws {
        let fixture = try await BackupFixture("unreadable")
        defer { fixture.remove() }
        try await fixture.seed(20)
        let archived = ["clients/archive/a.bin", "clients/archive/b.bin"]
        for key in archived {
            try await fixture.sourceClient.putObject(bucket: fixture.primary, key: key, body: BytesBody([9]),
                                                     options: WriteOptions(storageClass: "GLACIER"))
        }
        let result = try await fixture.run()
        #expect(result.status == 2, "\(result.stderr)")
        let report = try #require(result.reports.last)
        #expect(report.int("plan", "missing") == 22)
        #expect(report.int("work", "copied") == 20)
        #expect(report.int("tasks", "dead") == 0)
        let left = (report["work"] as? [String: Any])?["archived_not_copied"] as? [String] ?? []
        #expect(Set(left) == Set(archived))
        let page = fixture.directory.appendingPathComponent("failed.html").path
        let html = try await IntegrationTests.run(Repository.binary, ["report", "--db", fixture.database, "--no-verify", "--html", page],
                                                  environment: fixture.environment)
        #expect(html.status == 2)
        let rendered = try await IntegrationTests.run(
            URL(fileURLWithPath: "/usr/bin/chromium"), ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://\(page)"],
            environment: isolatedEnvironment(["HOME": fixture.directory.path]), timeout: .seconds(90))
        for text in ["partial", "Archived in the primary, not copied", "20 objects"] + archived.map(\.debugDescription) {
            #expect(rendered.stdoutText.contains(ReportPageText.escape(text)), "the page shows \(text.debugDescription)")
        }
        #expect(try await fixture.emulator.keys(fixture.backup).count == 20)
    }

    /// On a terminal `run` keeps a live progress line; under cron (no terminal) only the summary is printed.
    @Test func progressShowsOnATerminalOnly() async throws {
        let fixture = try await BackupFixture("progress")
        defer { fixture.remove() }
        try await fixture.seed(400)
        let command = [Repository.binary.path, "run", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)",
                       "--db", fixture.database, "--log-dir", fixture.logDirectory, "--workers", "1", "--concurrency", "2"]
            .map { "'\($0)'" }.joined(separator: " ")
        // util-linux `script` gives the command a pseudo-terminal.
        let terminal = try await IntegrationTests.run(URL(fileURLWithPath: "/usr/bin/script"), ["-qec", command, "/dev/null"],
                                                      environment: fixture.environment, timeout: .seconds(120))
        #expect(terminal.status == 0, "\(terminal.stderr)")
        #expect(terminal.stdoutText.contains("\r\u{1B}[Krun 1: "), "a live line")
        #expect(terminal.stdoutText.contains("tasks "))
        #expect(terminal.stdoutText.contains("success"))
        try await fixture.sourceClient.putObject(bucket: fixture.primary, key: "more", body: BytesBody([1]))
        let cron = try await fixture.run()
        #expect(cron.status == 0)
        #expect(!cron.stderr.contains("\u{1B}["))
        #expect(cron.reports.count == 1, "stdout holds nothing but the JSON summary")
    }

    @Test func anEmptiedPrimaryDeletesNothing() async throws {
        let fixture = try await BackupFixture("emptied")
        defer { fixture.remove() }
        try await fixture.seed(60)
        #expect(try await fixture.run().status == 0)
        let keys = try await fixture.emulator.keys(fixture.primary)
        _ = try await fixture.sourceClient.deleteObjects(bucket: fixture.primary, keys.map { ObjectVersionRef(key: $0) })
        let emptied = try await fixture.run(["--max-delete", "100%"])
        #expect(emptied.status == 3, "\(emptied.stderr)")
        #expect((emptied.reports.last?["deletes_refused"] as? String)?.contains("source lists no objects") == true)
        #expect(try await fixture.emulator.keys(fixture.backup).count == 60)
    }

    @Test func theDeleteCapRefusesTooManyDeletes() async throws {
        let fixture = try await BackupFixture("capped")
        defer { fixture.remove() }
        try await fixture.seed(100)
        #expect(try await fixture.run().status == 0)
        let doomed = try await fixture.emulator.keys(fixture.primary).prefix(30)
        _ = try await fixture.sourceClient.deleteObjects(bucket: fixture.primary, doomed.map { ObjectVersionRef(key: $0) })
        let capped = try await fixture.run(["--max-delete", "10%"])
        #expect(capped.status == 3, "\(capped.stderr)")
        #expect((capped.reports.last?["deletes_refused"] as? String)?.contains("over the cap") == true)
        #expect(try await fixture.emulator.keys(fixture.backup).count == 100)
        let window = try await fixture.run(["--max-delete", "30"])
        #expect(window.status == 3, "30 of 100 is over the 7-day cap of 20 %: \(window.stderr)")
        let allowed = try await fixture.run(["--max-delete", "30", "--max-delete-window", "30%"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.reports.last?.int("work", "deleted") == 30)
        try await fixture.expectEqual(sample: [])
    }

    @Test(arguments: Backend.allCases) func killedPlannersAndWorkersLoseNothing(queue: Backend) async throws {
        let fixture = try await BackupFixture("killed", queue: queue)
        defer { fixture.remove() }
        try await fixture.seed(1_200)
        try await fixture.seedAwkward()
        var finished: [Int64: Int64] = [:]   // task id → updated_at, of tasks done before the last kill
        for delay in [0.4, 1.2, 3.0] {
            let process = try ChildProcess(Repository.binary.path, [
                "run", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)", "--db", fixture.database,
                "--workers", "2", "--lease-seconds", "2", "--split-above", "100", "--log-dir", fixture.logDirectory,
            ], environment: fixture.environment, stdin: .null, stdout: .null, stderr: .null)
            try await Task.sleep(for: .seconds(delay))
            // The last round waits (on a loaded machine) until some task has finished, so redoing can be seen.
            let deadline = ContinuousClock.now + .seconds(120)
            while delay == 3.0, finished.isEmpty, process.isRunning, ContinuousClock.now < deadline {
                if try fixture.queueExists(), try await !fixture.succeededTasks().isEmpty { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            // kill -9 the workers, then the planner (the `run` process itself).
            _ = shellRun("pkill -9 -P \(process.pid)")
            process.signal(SIGKILL)
            process.waitUntilExit()
            if try fixture.queueExists() {
                finished.merge(try await fixture.succeededTasks()) { $1 }
            }
        }
        #expect(!finished.isEmpty, "some tasks finished before the kills, so the test can see whether they are redone")
        let final = try await fixture.run()
        #expect(final.status == 0, "\(final.stderr)")
        try await fixture.expectEqual(sample: Array(awkwardKeys.prefix(8)) + ["big/three-parts.bin"])
        // Tasks that had succeeded before a kill were not done again.
        let after = try await fixture.succeededTasks()
        for (task, updated) in finished { #expect(after[task] == updated, "task \(task) was redone") }
    }

    /// From moto to another moto, and from moto to RGW: two providers, so nothing is copied server-side.
    @Test(arguments: Provider.allCases)
    func crossEndpointCopiesAreStreamed(backupOn provider: Provider) async throws {
        let other = provider == .moto ? try await HelperServer(script: "emulator.py") : try await provider.server()
        let fixture = try await BackupFixture("cross", backupServer: (other, provider))
        defer { fixture.remove() }
        try await fixture.seed(150)
        try await fixture.seedAwkward()
        let result = try await fixture.run()
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(result.reports.last)
        #expect(report.int("work", "streamed") == 150 + awkwardKeys.count + 1)
        #expect(report.int("work", "server_side") == 0)
        try await fixture.expectEqual(sample: awkwardKeys + ["big/three-parts.bin"])
        #expect(try await fixture.run().reports.last?.int("work", "copied") == 0)
    }
}

/// Text as a browser serializes it in a DOM dump (only `&`, `<`, `>` escaped), to find it in the rendered page.
enum ReportPageText {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
