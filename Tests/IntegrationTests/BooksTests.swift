import Foundation
import S3
import Testing

/// The books are right: `failed` and the HTML page name each failed object once, `retry` keeps the attempts on the
/// books, every request retry is counted whatever became of its task, run ids are never reused after `prune`,
/// `report` mails only when asked, and unexplained differences are named by key. All with the built binary on moto.
@Suite("The books are right", .serialized, .timeLimit(.minutes(10)))
struct BooksTests {
    /// The JSON document a command printed.
    private func json(_ result: CommandResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.stderr)")
    }

    /// Three objects whose every request fails (500 InternalError through the proxy) in a task with ten good ones:
    /// the task dies after its five attempts, `failed` and the page name each object once with the attempts it
    /// failed in, and the report counts every request retry (two per request: the client tries three times). After
    /// the fault clears, `retry` and the next `run` finish the run, and its report still counts the five failed
    /// attempts as retries and still holds the request retries of the failed round.
    @Test func poisonedObjectsAreNamedOnceAndEveryRetryIsCounted() async throws {
        var fixture = try await BackupFixture("books-poison")
        defer { fixture.remove() }
        let proxy = try await FaultProxy(upstream: fixture.emulator.server.endpoint)
        fixture.environment["AWS_ENDPOINT_URL"] = proxy.endpoint
        try await fixture.seed(10)
        try await fixture.seed(3, prefix: "poison")
        let poisoned = (0..<3).map { BackupFixture.seededKey($0, prefix: "poison") }
        try await proxy.set(["internal": 1.0], only: "poison/")

        let first = try await fixture.run(timeout: .seconds(240))
        #expect(first.status == 2, "partial: \(first.stderr.suffix(2_000))")
        let report = try #require(first.reports.last)
        #expect(report.int("tasks", "dead") == 1)
        let injected = try await proxy.stats().faults
        let requestRetries = try #require(report.int("work", "request_retries"))
        // Each poisoned request is tried three times, then given up: two of every three faults were retried.
        #expect(injected > 0 && requestRetries * 3 == injected * 2,
                "\(requestRetries) request retries counted for \(injected) faults injected")

        let failed = try await run(Repository.binary, ["failed", "--db", fixture.database], environment: fixture.environment)
        #expect(failed.status == 0, "\(failed.stderr)")
        let lines = failed.stdoutText.split(separator: "\n")
        for key in poisoned {
            let named = lines.filter { $0.hasPrefix("  \(key): ") }
            #expect(named.count == 1, "\(key) once:\n\(failed.stdoutText)")
            #expect(named.first?.hasSuffix(" (failed in 5 of 5 attempts)") == true, "\(named)")
            #expect(named.first?.contains("InternalError") == true, "\(named)")
        }
        #expect(lines.count == 1 + poisoned.count, "a task line and one line per object:\n\(failed.stdoutText)")
        let listed = try json(try await run(Repository.binary, ["failed", "--db", fixture.database, "--json"],
                                            environment: fixture.environment))
        let task = try #require((listed["tasks"] as? [[String: Any]])?.first)
        #expect(task["attempts"] as? Int == 5)
        let objects = try #require(task["failures"] as? [[String: Any]])
        #expect(objects.compactMap { $0["subject"] as? String }.sorted() == poisoned.sorted())
        #expect(objects.allSatisfy { $0["attempts"] as? Int == 5 })

        let page = fixture.directory.appendingPathComponent("failed.html").path
        let html = try await run(Repository.binary, ["report", "--db", fixture.database, "--no-verify", "--html", page],
                                 environment: fixture.environment)
        #expect(html.status == 2, "\(html.stderr)")
        let text = try String(contentsOfFile: page, encoding: .utf8)
        for key in poisoned {
            let cell = "<td class=\"key\">&quot;\(key)&quot;</td>"
            let rows = text.components(separatedBy: cell).dropFirst()
            #expect(rows.count == 1, "\(key) once on the page")
            let row = rows.first.map { $0[..<($0.range(of: "</tr>")?.upperBound ?? $0.endIndex)] } ?? ""
            #expect(row.contains("InternalError") && row.hasSuffix(" (failed in 5 of 5 attempts)</td></tr>"), "\(key): \(row)")
        }

        // The fault clears; `retry` and the next night's `run` finish the run, which keeps its books.
        try await proxy.set([:])
        let retried = try await run(Repository.binary, ["retry", "--db", fixture.database, "--run", "1"],
                                    environment: fixture.environment)
        #expect(retried.stdoutText.contains("requeued 1 task"), "\(retried.stdoutText)\(retried.stderr)")
        let second = try await fixture.run(timeout: .seconds(120))
        #expect(second.status == 0, "\(second.stderr.suffix(2_000))")
        let finished = try #require(second.reports.first { $0["run"] as? Int == 1 }, "the retried run is reported")
        #expect(finished["resumed"] as? Bool == true)
        #expect(finished.int("tasks", "succeeded") == 1 && finished.int("tasks", "dead") == 0)
        #expect(finished["retries"] as? Int == 5, "five failed attempts, then the one after `retry`: \(finished["retries"] ?? "none")")
        #expect(finished.int("work", "request_retries") == requestRetries, "the failed round's request retries stay counted")
        let later = try await run(Repository.binary, ["report", "--db", fixture.database, "--run", "1", "--no-verify"],
                                  environment: fixture.environment)
        #expect(later.status == 0, "\(later.stderr)")
        #expect(later.stdoutText.contains("success") && later.stdoutText.contains("5 task retries, \(requestRetries) request retries"),
                "\(later.stdoutText)")
        try await fixture.expectEqual(sample: [])
    }

    /// Pruning every run leaves no row to number the next one from; the next run still gets a new id (today's
    /// schema gave "run 1" again, and mailed it as such).
    @Test func runIdsAreNeverReusedAfterPruning() async throws {
        let fixture = try await BackupFixture("books-prune")
        defer { fixture.remove() }
        try await fixture.seed(5)
        let first = try await fixture.run()
        #expect(first.status == 0, "\(first.stderr.suffix(2_000))")
        #expect(first.reports.last?["run"] as? Int == 1)
        let pruned = try await run(Repository.binary, ["prune", "--db", fixture.database, "--older-than-days", "0"],
                                   environment: fixture.environment)
        #expect(pruned.stdoutText.contains("removed 1 run;"), "\(pruned.stdoutText)\(pruned.stderr)")
        let status = try await run(Repository.binary, ["status", "--db", fixture.database], environment: fixture.environment)
        #expect(status.stdoutText.contains("no runs"), "\(status.stdoutText)")

        try await fixture.sourceClient.putObject(bucket: fixture.primary, key: "one-more", body: BytesBody([1]))
        let next = try await fixture.run()
        #expect(next.status == 0, "\(next.stderr.suffix(2_000))")
        #expect(next.reports.map { $0["run"] as? Int } == [2], "a new id after pruning: \(next.reports.map { $0["run"] ?? "none" })")
    }

    /// `report` mails only when asked: not because the config file has a [mail] table (which `run` uses every
    /// night), but with --mail (to the table's addresses) or with --mail-to on its command line (to those only).
    @Test func reportMailsOnlyWhenAsked() async throws {
        let sink = try await MailTests.Sink()
        let fixture = try await BackupFixture("books-mail")
        defer { fixture.remove() }
        try await fixture.seed(5)
        #expect(try await fixture.run().status == 0)
        let config = fixture.directory.appendingPathComponent("s3backup.toml").path
        try """
            db = "\(fixture.database)"
            [mail]
            mail-to = ["ops@example.test"]
            mail-from = "backup@example.test"
            smtp-url = "\(sink.url)"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: config)
        func report(_ extra: [String]) async throws -> CommandResult {
            try await run(Repository.binary, ["--config", config, "report", "--no-verify"] + extra, environment: fixture.environment)
        }

        let looked = try await report([])
        #expect(looked.status == 0, "\(looked.stderr)")
        #expect(looked.stdoutText.contains("run 1"))
        #expect(try sink.messages().isEmpty, "a look at the report mails nothing")

        let asked = try await report(["--mail"])
        #expect(asked.status == 0, "\(asked.stderr)")
        var messages = try sink.messages()
        #expect(messages.count == 1)
        #expect(messages.last?.envelope["to"] as? [String] == ["ops@example.test"])
        #expect(messages.last?.text.contains("run 1") == true, "the report of run 1")

        let typed = try await report(["--mail-to", "boss@example.test"])
        #expect(typed.status == 0, "\(typed.stderr)")
        messages = try sink.messages()
        #expect(messages.count == 2)
        #expect(messages.last?.envelope["to"] as? [String] == ["boss@example.test"], "the command line's addresses only")

        let nowhere = try await run(Repository.binary, ["report", "--db", fixture.database, "--no-verify", "--mail"],
                                    environment: fixture.environment)
        #expect(nowhere.status == 64)
        #expect(nowhere.stderr.contains("--mail needs addresses: pass --mail-to"), "\(nowhere.stderr)")
        #expect(try sink.messages().count == 2)
    }

    /// Differences nothing explains are named by key: the first 20 in byte order in the text, then how many more;
    /// all of them in the JSON, each with how it differs.
    @Test func unexplainedDifferencesAreNamedByKey() async throws {
        let fixture = try await BackupFixture("books-keys")
        defer { fixture.remove() }
        try await fixture.seed(40)
        // LastModified has whole seconds: the run starts in a later second than the seeding, so the seeded objects predate it.
        try await WholeSeconds.turn()
        #expect(try await fixture.run().status == 0)
        // Behind the tool's back: 25 objects gone from the backup, one there that the primary never had.
        let gone = (0..<25).map { BackupFixture.seededKey($0) }
        _ = try await fixture.backupClient.deleteObjects(bucket: fixture.backup, gone.map { ObjectVersionRef(key: $0) })
        try await fixture.backupClient.putObject(bucket: fixture.backup, key: "stray/only-here.bin", body: BytesBody([7]))
        try await fixture.sourceClient.putObject(bucket: fixture.primary, key: "clients/late-arrival", body: BytesBody([1]))
        let expected = (gone.map { ($0, "missing_or_different") } + [("stray/only-here.bin", "only_in_backup")])
            .sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }

        let document = try await run(Repository.binary, ["report", "--db", fixture.database, "--json"], environment: fixture.environment)
        #expect(document.status == 1, "unexplained differences: \(document.stderr)")
        let report = try json(document)
        #expect(report.int("verification", "unexplained") == 26)
        #expect(report.int("verification", "written_during_run") == 1)
        let keys = try #require((report["verification"] as? [String: Any])?["unexplained_keys"] as? [[String: Any]])
        #expect(keys.map { "\($0["key"] ?? "")|\($0["difference"] ?? "")" } == expected.map { "\($0.0)|\($0.1)" })

        let text = try await run(Repository.binary, ["report", "--db", fixture.database], environment: fixture.environment)
        #expect(text.status == 1)
        let lines = text.stdoutText.split(separator: "\n").map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("  unexplained, by key") }, "\(text.stdoutText)")
        let named = lines[(header + 1)...].prefix(21)
        #expect(Array(named.prefix(20)) == expected.prefix(20).map {
            "    \($0.1 == "only_in_backup" ? "only in the backup" : "missing or different in the backup"): \($0.0.debugDescription)"
        }, "\(text.stdoutText)")
        #expect(named.last == "    … and 6 more: `s3backup report --json` lists them (up to 10000)")
    }
}
