import Foundation
import Mail
import Queue
import S3
import Testing

@Suite("Mailed reports against a real SMTP server on loopback", .timeLimit(.minutes(10)))
struct MailTests {
    /// An SMTP sink writing each accepted message to a directory.
    struct Sink {
        let server: HelperServer
        let directory: URL
        init(_ extra: [String] = []) async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("s3backup-mail-\(UUID().uuidString)")
            server = try await HelperServer(script: "smtp_sink.py", arguments: [directory.path] + extra)
        }
        var url: String { "smtp://127.0.0.1:\(server.port)" }

        /// The decoded Subject of a message `messages` returned.
        static func subject(of text: String) -> String {
            guard let line = text.split(separator: "\r\n").first(where: { $0.hasPrefix("Subject: ") }) else { return "" }
            let value = line.dropFirst("Subject: ".count)
            guard value.hasPrefix("=?UTF-8?B?"), value.hasSuffix("?=") else { return String(value) }
            return Data(base64Encoded: String(value.dropFirst(10).dropLast(2))).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }

        func messages() throws -> [(text: String, envelope: [String: Any])] {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".eml") }.sorted()
            return try names.map { name in
                let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                let envelope = try JSONSerialization.jsonObject(
                    with: Data(contentsOf: directory.appendingPathComponent(name.replacingOccurrences(of: ".eml", with: ".json"))))
                return (text, envelope as? [String: Any] ?? [:])
            }
        }
    }

    private func mailFlags(_ sink: Sink) -> [String] {
        ["--mail-to", "ops@example.test", "--mail-to", "boss@example.test", "--mail-from", "backup@example.test",
         "--smtp-url", sink.url]
    }

    @Test func successAndFailureEachSendTheRightMail() async throws {
        let sink = try await Sink()
        let fixture = try await BackupFixture("mail")
        defer { fixture.remove() }
        try await fixture.seed(30)
        let good = try await fixture.run(mailFlags(sink))
        #expect(good.status == 0, "\(good.stderr)")
        var messages = try sink.messages()
        #expect(messages.count == 1)
        let success = try #require(messages.first)
        #expect(success.text.contains("Subject: [s3backup] OK: backup s3://\(fixture.primary) → s3://\(fixture.backup) (run 1)")
                    || success.text.contains("Subject: =?UTF-8?B?"), "\(success.text.prefix(400))")
        #expect(success.text.contains("30 copied"))
        #expect((success.envelope["to"] as? [String]) == ["ops@example.test", "boss@example.test"])
        #expect((success.envelope["from"] as? String) == "backup@example.test")

        let keys = try await fixture.emulator.keys(fixture.primary)
        _ = try await fixture.sourceClient.deleteObjects(bucket: fixture.primary, keys.prefix(10).map { ObjectVersionRef(key: $0) })
        let refused = try await fixture.run(mailFlags(sink) + ["--max-delete", "1"])
        #expect(refused.status == 3)
        messages = try sink.messages()
        #expect(messages.count == 2)
        let failure = try #require(messages.last?.text)
        #expect(failure.contains("over the cap --max-delete 1"))
        #expect(failure.contains("The last lines of the log"))
    }

    /// Everything from a config file: the run's flags, the mail settings and the SMTP password; a flag on the
    /// command line wins over the environment, which wins over the file.
    @Test func settingsComeFromAConfigFile() async throws {
        let password = "FILE-PASSWORD-MARKER-3"
        let sink = try await Sink(["--user", "reporter", "--password", password])
        let fixture = try await BackupFixture("config")
        defer { fixture.remove() }
        try await fixture.seed(12)
        let config = fixture.directory.appendingPathComponent("s3backup.toml").path
        try """
            # nightly backup
            db = "\(fixture.database)"
            [run]
            source = "s3://\(fixture.primary)"
            backup = "s3://\(fixture.backup)"
            log-dir = '\(fixture.logDirectory)'
            max-delete = 0
            workers = 7
            json = true
            [mail]
            mail-to = ["ops@example.test", "boss@example.test"]
            mail-from = "backup@example.test"
            smtp-url = "\(sink.url)"
            smtp-user = "reporter"
            smtp-password = "\(password)"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: config)
        var environment = fixture.environment
        environment["S3BACKUP_WORKERS"] = "1"
        let result = try await run(Repository.binary, ["--config", config, "run", "--lease-seconds", "2", "--max-delete", "5"],
                                   environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: \(config) holds `smtp-password` (line 15) and every user can read it"))
        #expect(!result.stderr.contains(password))
        #expect(result.stdoutText.contains("\"copied\" : 12"))
        let mail = try #require(try sink.messages().first)
        #expect(mail.envelope["to"] as? [String] == ["ops@example.test", "boss@example.test"])
        #expect(mail.envelope["auth"] as? Bool == true, "the password from the file logged in")
        let record = try await SQLiteQueue(path: fixture.database).run(1)
        #expect(record.parameters.contains("\"maxDelete\":{\"count\":{\"_0\":5}}"),
                "the command line's --max-delete wins: \(record.parameters)")
        #expect(result.stderr.contains("started 1 worker process for run 1"), "S3BACKUP_WORKERS=1 wins over the file's 7")

        let check = try await run(Repository.binary, ["config", "check", "--config", config], environment: environment)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdoutText.contains("workers = \"1\""))
        #expect(check.stdoutText.contains("# S3BACKUP_WORKERS"))
        #expect(check.stdoutText.contains("smtp-password = \"********\""))
        #expect(check.stdoutText.contains("max-delete = 0"))
        #expect(!check.stdoutText.contains(password) && !check.stderr.contains(password))
    }

    @Test func urlsAreCheckedAndPlainSMTPOnlyGoesToThisHost() throws {
        func settings(_ url: String) throws -> SMTPSettings {
            try SMTPSettings(url: url, from: "a@example.test", to: ["b@example.test"])
        }
        let refused = #expect(throws: MailError.self) { try settings("smtps://reporter:HUNTER2@mail.example.test:465") }
        #expect(refused?.description.contains("HUNTER2") == false)
        #expect(throws: MailError.self) { try settings("smtp://localhost@mail.example.test") }
        #expect(try settings("smtp://127.0.0.1:25").security == .none)
        #expect(try settings("smtp://localhost:25").security == .none)
        for remote in ["smtp://localhost.evil.example", "smtp://127.attacker.example", "smtp://mail.example.test:587",
                       "smtps://127.0.0.1:465"] {
            #expect(try settings(remote).security == .required, "\(remote)")
        }
        #expect(throws: MailError.self) { try SMTPSettings(url: "http://x", from: "a@example.test", to: ["b@example.test"]) }
        #expect(throws: MailError.self) { try SMTPSettings(url: "smtp://x", from: "not an address", to: ["b@example.test"]) }
    }

    @Test func theSMTPPasswordIsUsedAndNeverShown() async throws {
        let password = "SMTP-PASSWORD-MARKER-9"
        let sink = try await Sink(["--user", "reporter", "--password", password])
        var fixture = try await BackupFixture("mailauth")
        defer { fixture.remove() }
        fixture.environment["S3BACKUP_SMTP_PASSWORD"] = password
        try await fixture.seed(5)
        let result = try await fixture.run(mailFlags(sink) + ["--smtp-user", "reporter"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try sink.messages().first?.envelope["auth"] as? Bool == true)
        let logs = try FileManager.default.contentsOfDirectory(atPath: fixture.logDirectory)
            .map { try String(contentsOfFile: fixture.logDirectory + "/" + $0, encoding: .utf8) }.joined()
        for text in [result.stderr, String(decoding: try JSONSerialization.data(withJSONObject: result.reports), as: UTF8.self), logs] {
            #expect(!text.contains(password))
        }
        #expect(try sink.messages().allSatisfy { !$0.text.contains(password) && !$0.text.contains("test-secret") },
                "neither the SMTP password nor the AWS secret key is mailed")
    }

    @Test(arguments: [true, false])
    func aServerThatRefusesOrIsDownIsReportedButTheRunStands(refusing: Bool) async throws {
        let sink = try await Sink(refusing ? ["--refuse"] : [])
        let url = refusing ? sink.url : "smtp://127.0.0.1:9"
        let fixture = try await BackupFixture("mailfail")
        defer { fixture.remove() }
        try await fixture.seed(5)
        let result = try await fixture.run(["--mail-to", "ops@example.test", "--mail-from", "backup@example.test", "--smtp-url", url])
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("mailing the report to ops@example.test via \(url) failed"))
        #expect(result.reports.last?.int("work", "copied") == 5, "the run's own result is printed whole")
        #expect(try await fixture.emulator.keys(fixture.backup).count == 5, "the backup itself was made")
    }
}
