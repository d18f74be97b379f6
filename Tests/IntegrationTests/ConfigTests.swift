import Foundation
import Testing

/// The config file's error cases, through the binary: each names the file, the line and what to write.
@Suite(.timeLimit(.minutes(10))) struct ConfigTests {
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
            ("[status]\ndb = \"\(database)\"\nlimit = \"ten\"\n", 78,
             "s3backup.toml line 3: The value 'ten' is invalid for '--limit <limit>'"),
            ("[status]\ndb = \(database)\n", 78,
             "s3backup.toml line 2: `db = \(database)`: a string needs quotes, e.g. db = \"\(database)\""),
            ("[status]\nlimit = 3\n", 78,
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

    /// A value the command refuses gets one status, 78, whether the command or `config check` finds it: the fix is
    /// in the file (or the environment). The same value typed on the command line is a usage error, 64.
    @Test func aBadValueExitsTheSameInTheCommandAndInConfigCheck() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("q.db").path
        let cases: [(file: String, command: [String], message: String)] = [
            ("[status]\ndb = \"\(database)\"\nlimit = \"ten\"\n", ["status"],
             "s3backup.toml line 3: The value 'ten' is invalid for '--limit <limit>'"),
            ("db = \"\(database)\"\n[work]\nlease-seconds = 0\n", ["work"],
             "s3backup.toml line 3: --lease-seconds must be at least 1"),
            ("db = \"\(database)\"\n[restore]\nfrom = \"s3://backup\"\n", ["restore"],
             "restore needs --to: pass it, set S3BACKUP_TO, or write `to = \"…\"` under [restore] in"),
        ]
        for (file, command, message) in cases {
            let path = try write(file)
            let direct = try await s3backup(command + ["--config", path])
            let check = try await s3backup(["config", "check", "--config", path])
            #expect(direct.status == 78 && check.status == 78, "\(file): \(direct.status) \(direct.stderr) / \(check.status)")
            #expect(direct.stderr.contains(message), "\(file): \(direct.stderr)")
            #expect(check.stderr.contains(message), "\(file): \(check.stderr)")
        }
        let environment = try await s3backup(["status", "--db", database], ["S3BACKUP_LIMIT": "ten"])
        #expect(environment.status == 78, "\(environment.stderr)")
        #expect(environment.stderr.contains("S3BACKUP_LIMIT: The value 'ten' is invalid for '--limit <limit>'"))
        let typed = try await s3backup(["status", "--db", database, "--limit", "ten"])
        #expect(typed.status == 64, "typed on the command line, it is a usage error: \(typed.stderr)")
    }

    /// `config check` judges the commands the file sets up, not every command one of its settings belongs to.
    @Test func configCheckJudgesOnlyTheCommandsTheFileSetsUp() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try write("db = \"/var/lib/s3backup/queue.db\"\nsource = \"s3://primary\"\nbackup = \"s3://backup\"\n")
        let result = try await s3backup(["config", "check", "--config", path])
        #expect(result.status == 0, "\(result.stderr)")
        let tables = Set(result.stdoutText.split(separator: "\n").filter { $0.hasPrefix("[") })
        for command in ["run", "plan", "setup", "verify", "status", "report", "work", "prune"] {
            #expect(tables.contains("[\(command)]"), "\(command) gets all it needs from the top: \(result.stdoutText)")
        }
        #expect(!tables.contains("[restore]") && !tables.contains("[cancel]") && !tables.contains("[ls]"),
                "restore lacks from and to, cancel its run, ls its location: \(result.stdoutText)")
        #expect(result.stdoutText.contains("no problems"))
        // Given its own table, a command is judged, and what it lacks is a problem.
        let restore = try await s3backup(["config", "check", "--config",
                                          try write("source = \"s3://primary\"\nbackup = \"s3://backup\"\n[restore]\n")])
        #expect(restore.status == 78)
        #expect(restore.stderr.contains("restore needs --from"), "\(restore.stderr)")
        // A command that takes an argument only its command line gives is checked by type.
        let list = try await s3backup(["config", "check", "--config", try write("[ls]\njson = true\n")])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdoutText.contains("# ls takes <location> on its command line"), "\(list.stdoutText)")
    }

    /// The shipped example, placeholders and all, sets up every command that reads settings and passes its checks;
    /// each command it has a table for parses its settings (config check parses them as the command does).
    @Test func theExampleConfigServesEveryCommand() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let example = try String(contentsOf: Repository.root.appendingPathComponent("ops/s3backup.toml.example"), encoding: .utf8)
        let path = try write(example)
        let result = try await s3backup(["config", "check", "--config", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.contains("# \(path): no problems"))
        let printed = Set(result.stdoutText.split(separator: "\n").filter { $0.hasPrefix("[") }.map(String.init))
        let document = Set(example.split(separator: "\n").filter { $0.hasPrefix("[") }.map(String.init))
        // ls and cancel act on what their command line names (a location, a run); the top serves the rest.
        let takenFromTheCommandLine: Set = ["ls", "cancel"]
        for command in try await commandsReadingSettings() where !takenFromTheCommandLine.contains(command) {
            #expect(document.contains("[\(command)]"), "the example has a [\(command)] table")
            #expect(printed.contains("[\(command)]"), "config check judged \(command): \(result.stdoutText)")
        }
        // `setup --config` used to stop at "setup needs --source"; now it gets as far as the (unreachable) endpoint.
        let setup = try await s3backup(["setup", "--check", "--config", path],
                                       ["AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_MAX_ATTEMPTS": "1",
                                        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"])
        #expect(setup.status == 69, "\(setup.stderr)")
        #expect(errorLine(setup).contains("127.0.0.1:1"), "\(setup.stderr)")
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

    /// A PostgreSQL queue's location with a password in it, as a keyword or a URI's, is shown masked.
    @Test(arguments: ["host=queue.example.test dbname=s3backup password='PG-SECRET-MARKER'",
                      "postgresql://s3backup:PG-SECRET-MARKER@queue.example.test/s3backup"])
    func aQueuePasswordIsMasked(location: String) async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let shown = try await s3backup(["config", "check", "--config", try write("[status]\ndb = \"\(location)\"\n", mode: 0o600)])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdoutText.contains("queue.example.test") && shown.stdoutText.contains("********"), "\(shown.stdoutText)")
        #expect(!(shown.stdoutText + shown.stderr).contains("PG-SECRET-MARKER"))
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

/// The commands whose settings a config file can give (every one but `config`), from the binary's own description.
func commandsReadingSettings() async throws -> [String] {
    let dump = try await run(Repository.binary, ["--experimental-dump-help"], environment: isolatedEnvironment([:]))
    let tool = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout)) as? [String: Any])
    let command = try #require(tool["command"] as? [String: Any])
    return (command["subcommands"] as? [[String: Any]] ?? []).compactMap { subcommand in
        guard let name = subcommand["commandName"] as? String, name != "config", name != "help" else { return nil }
        let arguments = subcommand["arguments"] as? [[String: Any]] ?? []
        let settings = arguments.filter { ($0["kind"] as? String) != "positional" && ($0["names"] as? [[String: String]] ?? [])
            .contains { $0["kind"] == "long" && !["help", "version"].contains($0["name"] ?? "") } }
        return settings.isEmpty ? nil : name
    }
}

/// Each command's `--help`: where its settings come from, and the exit statuses it can return, one to a line.
@Suite(.timeLimit(.minutes(10))) struct CommandHelpTests {
    /// What each command can return (ExitStatus): the queue's commands never reach S3 (no 69, 77), only run and
    /// restore can be stopped midway (5) or end partial with a mail (2, 4), and only what deletes can refuse (3).
    static let statuses: [String: [Int32]] = [
        "run": [0, 1, 2, 3, 4, 5, 64, 69, 77, 78],
        "restore": [0, 1, 2, 3, 4, 5, 64, 69, 75, 77, 78],
        "report": [0, 1, 2, 3, 4, 64, 69, 77, 78],
        "verify": [0, 1, 4, 64, 69, 77, 78],
        "plan": [0, 1, 3, 64, 69, 77, 78],
        "setup": [0, 1, 64, 69, 77, 78],
        "ls": [0, 1, 64, 69, 77, 78],
        "work": [0, 1, 64, 78],
        "status": [0, 1, 64, 78],
        "history": [0, 1, 64, 78],
        "failed": [0, 1, 64, 78],
        "retry": [0, 1, 64, 78],
        "cancel": [0, 1, 64, 78],
        "prune": [0, 1, 64, 78],
        "config check": [0, 64, 78],
    ]

    private func help(_ command: String, columns: Int = 80) async throws -> String {
        let words = command.split(separator: " ").map(String.init)
        let result = try await run(Repository.binary, words + ["--help"], environment: isolatedEnvironment(["COLUMNS": "\(columns)"]),
                                   timeout: .seconds(30))
        #expect(result.status == 0, "\(command) --help: \(result.stderr)")
        return result.stdoutText
    }

    /// The lines of the exit-status paragraph, from `Exit status:` to the blank line after it.
    private func exitStatusLines(_ help: String) -> [Substring] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("Exit status:") }) else { return [] }
        return Array(lines[start...].prefix { !$0.isEmpty })
    }

    @Test func everyCommandThatReadsTheFileNamesConfigInItsHelp() async throws {
        let commands = try await commandsReadingSettings()
        #expect(Set(commands) == Set(Self.statuses.keys).subtracting(["config check"]), "the table above lists every command")
        for command in commands {
            // Words, not lines: the paragraph wraps to the terminal's width.
            let text = try await help(command).split(whereSeparator: \.isWhitespace).joined(separator: " ")
            let namesTheFile = text.contains("--config FILE"), namesTheTable = text.contains("under [\(command)]")
            #expect(namesTheFile, "\(command) --help names --config")
            #expect(namesTheTable, "\(command) --help names its table, [\(command)]")
        }
    }

    @Test(arguments: ["", "config check"] + statuses.keys.sorted().filter { $0 != "config check" })
    func exitStatusesAreOneToALineAtAnyWidth(command: String) async throws {
        for columns in [80, 200] {
            let lines = exitStatusLines(try await help(command, columns: columns))
            #expect(lines.first == "Exit status:", "\(command): \(lines)")
            for line in lines.dropFirst() {
                #expect(line.wholeMatch(of: #/  \d{1,2} +[a-z].*/#) != nil, "\(command) at \(columns) columns: \(line.debugDescription)")
            }
        }
    }

    @Test(arguments: statuses.keys.sorted())
    func eachCommandListsOnlyTheStatusesItCanReturn(command: String) async throws {
        let listed = exitStatusLines(try await help(command)).dropFirst().compactMap { line in
            line.split(separator: " ").first.flatMap { Int32($0) }
        }
        #expect(listed == Self.statuses[command], "\(command) --help lists \(listed)")
    }
}

/// The README's configuration reference against the settings the binary accepts.
@Suite(.timeLimit(.minutes(10))) struct ConfigReferenceTests {
    @Test func theReadmeListsEverySetting() async throws {
        let dump = try await run(Repository.binary, ["--experimental-dump-help"], environment: isolatedEnvironment([:]))
        let tool = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout)) as? [String: Any])
        var settings: Set<String> = []
        func collect(_ command: [String: Any]) {
            guard command["commandName"] as? String != "config" else { return }
            // Hidden options (`work --parent-pid`) are between processes, not settings.
            for argument in command["arguments"] as? [[String: Any]] ?? [] where argument["shouldDisplay"] as? Bool != false {
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
