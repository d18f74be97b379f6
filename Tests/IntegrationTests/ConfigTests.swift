import Foundation
import Testing

/// The config file's error cases, through the binary: each names the file, the line and what to write.
@Suite struct ConfigTests {
    private let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("s3backup-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private func write(_ text: String, mode: Int = 0o600) throws -> String {
        let path = directory.appendingPathComponent("s3backup.toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    private func s3backup(_ arguments: [String], _ extra: [String: String] = [:]) async throws -> CommandResult {
        try await run(Repository.binary, arguments, environment: isolatedEnvironment(extra), timeout: .seconds(30))
    }

    @Test func errorsNameTheLineAndWhatToWrite() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("q.db").path
        let cases: [(file: String, status: Int32, message: String)] = [
            ("[status]\ndb = \"\(database)\"\nlimt = 3\n", 78,
             "s3backup.toml line 3: unknown setting `limt` for [status]; did you mean `limit`?"),
            ("[status]\ndb = \"\(database)\"\njson = \"yes\"\n", 78,
             "s3backup.toml line 3: `json` is a switch: write json = true or json = false"),
            ("[status]\ndb = \"\(database)\"\nlimit = \"ten\"\n", 64,
             "s3backup.toml line 3: The value 'ten' is invalid for '--limit <limit>'"),
            ("[status]\ndb = \(database)\n", 78,
             "s3backup.toml line 2: `db = \(database)`: a string needs quotes, e.g. db = \"\(database)\""),
            ("[status]\nlimit = 3\n", 64,
             "status needs --db: pass it, set S3BACKUP_DB, or write `db = \"…\"` under [status] in"),
            ("[stauts]\n", 78, "s3backup.toml line 1: unknown table [stauts]"),
        ]
        for (file, status, message) in cases {
            let path = try write(file)
            let result = try await s3backup(["status", "--config", path])
            #expect(result.status == status, "\(file): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(file): \(result.stderr)")
            let check = try await s3backup(["config", "check", "--config", path])
            #expect(check.status == 78, "config check finds it too: \(file)")
        }
    }

    @Test func aMissingOrUnreadableFileIsNamed() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("nowhere.toml").path
        let result = try await s3backup(["status", "--db", "x.db"], ["S3BACKUP_CONFIG": missing])
        #expect(result.status == 78)
        #expect(result.stderr.contains("cannot read the config file \(missing): No such file or directory"))
        let folder = try await s3backup(["status", "--db", "x.db", "--config", directory.path])
        #expect(folder.status == 78)
        #expect(folder.stderr.contains("the config file \(directory.path) is not a regular file"))
        let path = try write("[status]\ndb = \"\u{FFFD}\"")
        try Data([0xFF, 0xFE, 0x00]).write(to: URL(fileURLWithPath: path))
        let binary = try await s3backup(["status", "--config", path])
        #expect(binary.status == 78)
        #expect(binary.stderr.contains("is not UTF-8 text"))
    }

    @Test func aPasswordInAFileEveryoneCanReadDrawsAWarningAndIsMasked() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let secret = "CONFIG-SECRET-MARKER-5"
        let text = "[mail]\nsmtp-url = \"smtps://mail.example.test\"\nsmtp-password = \"\(secret)\"\n"
            + "[report]\ndb = \"/var/lib/s3backup/queue.db\"\n"
        let open = try await s3backup(["config", "check", "--config", try write(text, mode: 0o644)])
        #expect(open.status == 0, "\(open.stderr)")
        #expect(open.stderr.contains("holds `smtp-password` (line 3) and every user can read it: chmod o-r"))
        #expect(open.stdoutText.contains("smtp-password = \"********\""))
        #expect(!(open.stdoutText + open.stderr).contains(secret))
        let closed = try await s3backup(["config", "check", "--config", try write(text, mode: 0o640)])
        #expect(closed.status == 0 && !closed.stderr.contains("warning"), "\(closed.stderr)")
    }

    @Test func confirmationsAreRefusedInTheFileAndTheHelpIgnoresIt() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try write("[restore]\nyes = true\n")
        let refused = try await s3backup(["restore", "--config", path])
        #expect(refused.status == 78)
        #expect(refused.stderr.contains("line 2: `yes` must be given on the command line, where it is seen"))
        let help = try await s3backup(["restore", "--help", "--config", path])
        #expect(help.status == 0)
    }
}

/// The README's configuration reference against the settings the binary accepts.
@Suite struct ConfigReferenceTests {
    @Test func theReadmeListsEverySetting() async throws {
        let dump = try await run(Repository.binary, ["--experimental-dump-help"], environment: isolatedEnvironment([:]))
        let tool = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout)) as? [String: Any])
        var settings: Set<String> = []
        func collect(_ command: [String: Any]) {
            guard command["commandName"] as? String != "config" else { return }
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                let names = argument["names"] as? [[String: String]] ?? []
                if let long = names.first(where: { $0["kind"] == "long" })?["name"] { settings.insert(long) }
            }
            (command["subcommands"] as? [[String: Any]] ?? []).forEach(collect)
        }
        collect(try #require(tool["command"] as? [String: Any]))
        settings.subtract(["help", "version", "yes", "delete"])
        let readme = try String(contentsOf: Repository.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Configuration").dropFirst().first?
            .components(separatedBy: "\n## ").first)
        let listed = Set(section.split(separator: "\n").filter { $0.hasPrefix("| `") }
            .compactMap { $0.split(separator: "`").dropFirst().first.map(String.init) })
        #expect(settings.subtracting(listed).isEmpty, "settings missing from the README: \(settings.subtracting(listed).sorted())")
        #expect(listed.subtracting(settings).isEmpty, "the README lists settings that do not exist: \(listed.subtracting(settings).sorted())")
    }
}
