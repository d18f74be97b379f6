@testable import Backup
import Foundation
import Mail
import S3
import Spawn
import TestSupport
import Testing

/// Issue 16, "secrets": workers see only the environment they need, no process can dump its keys, files others can
/// change are refused, logs are not written through links, and no control character reaches a log or a terminal raw.
@Suite("hardening: secrets stay in, control characters stay visible", .timeLimit(.minutes(10)))
struct HardeningTests {
    private let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("s3backup-harden-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The one `s3backup:` line of a failed command.
    private func errorLine(_ result: CommandResult) -> String {
        let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("s3backup:") }
        #expect(lines.count == 1, "one error line: \(result.stderr)")
        return lines.first.map(String.init) ?? ""
    }

    // MARK: - Point 10: the workers' environment

    /// A real `run` whose one held object keeps its worker busy (the fault proxy stalls every request for it until
    /// told to stop): the worker's /proc/PID/environ has the credentials and none of the secrets run was given.
    @Test func workersGetTheCredentialsButNotTheSMTPPassword() async throws {
        let password = "SMTP-PASSWORD-IN-RUN-ONLY-7"
        var fixture = try await BackupFixture("workerenv")
        defer { fixture.remove() }
        try await fixture.seed(4)
        try await fixture.sourceClient.putObject(bucket: fixture.primary, key: "held/by-the-proxy.bin",
                                                 body: BytesBody(Array("held".utf8)))
        let proxy = try await FaultProxy(upstream: fixture.emulator.server.endpoint, stallSeconds: 30)
        try await proxy.set(["stall": 1.0], only: "held/by-the-proxy")
        fixture.environment.merge(["AWS_ENDPOINT_URL": proxy.endpoint, "S3BACKUP_SMTP_PASSWORD": password,
                                   "UNRELATED_API_TOKEN": "UNRELATED-TOKEN-MARKER", "S3BACKUP_STALL_SECONDS": "2",
                                   "AWS_MAX_ATTEMPTS": "20"]) { $1 }
        let run = try Started(Repository.binary,
                              ["run", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)",
                               "--db", fixture.database, "--workers", "2", "--lease-seconds", "6", "--json",
                               "--log-dir", fixture.logDirectory] + fixture.flags,
                              environment: fixture.environment, output: fixture.directory)
        var seen: [pid_t] = []
        defer {
            // A worker seen earlier is killed only while its pid still runs this test's queue.
            let live = ProcessTable.workers(on: fixture.database)
            for worker in seen where live.contains(worker) { kill(worker, SIGKILL) }
            run.stop()
        }

        let environments = try await eventually("a worker process of the run", within: .seconds(90)) { () -> [pid_t: [String: String]]? in
            let workers = ProcessTable.children(of: run.pid).filter { ProcessTable.arguments($0).first == "work" }
            seen = Array(Set(seen + workers))
            let read = Dictionary(uniqueKeysWithValues: workers.compactMap { pid in ProcessTable.environment(pid).map { (pid, $0) } })
            if read.isEmpty, let worker = workers.first, geteuid() != 0, access("/proc/\(worker)/environ", R_OK) != 0, errno == EACCES {
                throw HelperError("worker \(worker)'s environment cannot be read: s3backup is not dumpable, so only root may "
                    + "read it; run this test as root")
            }
            return read.isEmpty ? nil : read
        }
        let runEnvironment = try #require(ProcessTable.environment(run.pid), "the run's own environment can be read")
        #expect(runEnvironment["S3BACKUP_SMTP_PASSWORD"] == password, "run itself was given the password")
        for (pid, environment) in environments {
            #expect(environment["S3BACKUP_SMTP_PASSWORD"] == nil, "worker \(pid) has the SMTP password")
            #expect(!environment.values.contains { $0.contains(password) || $0.contains("UNRELATED-TOKEN-MARKER") })
            #expect(environment["UNRELATED_API_TOKEN"] == nil)
            #expect(environment["AWS_ACCESS_KEY_ID"] == "AKIDTEST" && environment["AWS_SECRET_ACCESS_KEY"] == "test-secret",
                    "worker \(pid) has the credentials")
            #expect(environment["AWS_ENDPOINT_URL"] == proxy.endpoint && environment["S3BACKUP_STALL_SECONDS"] == "2")
            #expect(environment["PATH"] != nil && environment["HOME"] == "/nonexistent-home")
            // The queue's location comes in the environment the launcher adds, never on the command line.
            #expect(environment["S3BACKUP_DB"] == fixture.database && !ProcessTable.arguments(pid).contains(fixture.database))
            let extra = environment.keys.filter { !WorkerEnvironment.admits($0) && $0 != "S3BACKUP_DB" }
            #expect(extra.isEmpty, "worker \(pid) got variables off the allowlist: \(extra.sorted())")
        }

        // The object let go, the run finishes with the environment its workers had.
        try await proxy.set([:])
        let result = try await run.wait(timeout: .seconds(180))
        #expect(result.status == 0, "\(result.stderr.suffix(2_000))")
        #expect(try await fixture.emulator.keys(fixture.backup).contains("held/by-the-proxy.bin"))
    }

    /// Every AWS_* and S3BACKUP_* variable the code a worker runs names (the S3 client, the worker, the queue) is
    /// on the allowlist, so a variable added there cannot be silently withheld from workers.
    @Test func theAllowlistHasEveryVariableAWorkerReads() throws {
        let sources = Repository.root.appendingPathComponent("Sources")
        let names = try NSRegularExpression(pattern: "\"((?:AWS|S3BACKUP)_[A-Z0-9_]*)")
        var found: [String: String] = [:]
        for folder in ["S3", "SigV4", "Queue", "Backup/Work", "Backup/Model"] {
            let root = sources.appendingPathComponent(folder)
            for case let file as URL in FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) ?? .init()
            where file.pathExtension == "swift" {
                let text = try String(contentsOf: file, encoding: .utf8)
                for match in names.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    found[(text as NSString).substring(with: match.range(at: 1))] = file.path
                }
            }
        }
        #expect(found["AWS_SECRET_ACCESS_KEY"] != nil && found["S3BACKUP_STALL_SECONDS"] != nil, "the scan reads the sources")
        for (name, file) in found.sorted(by: { $0.key < $1.key }) {
            let advice = "add it to WorkerEnvironment.names (Sources/Backup/Run/WorkerEnvironment.swift)"
            #expect(WorkerEnvironment.admits(name), "\(file) reads \(name), which workers are not given: \(advice)")
        }
        for secret in ["S3BACKUP_SMTP_PASSWORD", "S3BACKUP_SMTP_USER", "S3BACKUP_MAIL_TO", "S3BACKUP_DB", "SMTP_PASSWORD"] {
            #expect(!WorkerEnvironment.admits(secret), "\(secret)")
        }
    }

    // MARK: - Point 12: no core dumps

    /// A running `s3backup` has a core limit of 0 and is not dumpable. Not dumpable shows in /proc: the files of a
    /// non-dumpable process belong to root, whoever runs it. As root, the processes run as nobody, so the owner tells;
    /// a `sleep` started the same way shows that a dumpable process's files are its own.
    @Test func aRunningS3backupCannotDumpCore() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let asRoot = geteuid() == 0
        let user: uid_t = asRoot ? 65_534 : geteuid()
        if asRoot { #expect(chown(directory.path, user, gid_t(65_534)) == 0) }
        func started(_ program: URL, _ arguments: [String]) throws -> Started {
            guard asRoot else { return try Started(program, arguments, environment: isolatedEnvironment([:]), output: directory) }
            return try Started(URL(fileURLWithPath: "/usr/bin/setpriv"),
                               ["--reuid=\(user)", "--regid=65534", "--clear-groups", "--", program.path] + arguments,
                               environment: isolatedEnvironment([:]), output: directory)
        }
        let database = path("queue.db")
        let worker = try started(Repository.binary, ["work", "--db", database])
        defer { worker.stop() }
        let control = try started(URL(fileURLWithPath: "/bin/sleep"), ["60"])
        defer { control.stop() }

        // The queue exists once `work` runs its command, long after start-up hardened the process.
        try await eventually("the worker to open its queue", within: .seconds(30)) {
            FileManager.default.fileExists(atPath: database) ? true : nil
        }
        try await eventually("sleep to start", within: .seconds(10)) { ProcessTable.name(control.pid) == "sleep" ? true : nil }
        #expect(ProcessTable.realUser(worker.pid) == user && ProcessTable.realUser(control.pid) == user)
        #expect(ProcessTable.coreLimit(worker.pid) == "0 0", "Max core file size, soft and hard")
        #expect(ProcessTable.owner(control.pid) == user, "a dumpable process's /proc files are its own")
        #expect(ProcessTable.owner(worker.pid) == 0, "s3backup's /proc files belong to root: it is not dumpable")

        kill(worker.pid, SIGTERM)
        let result = try await worker.wait(timeout: .seconds(30))
        #expect(result.status == 0, "\(result.stderr)")
    }

    // MARK: - Point 13: files others can change, links, control characters

    @Test func configAndPasswordFilesOthersCanChangeAreRefused() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = path("s3backup.toml")
        try "[status]\ndb = \"\(path("q.db"))\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        for mode in [0o664, 0o646] {
            #expect(chmod(config, mode_t(mode)) == 0)
            for arguments in [["status", "--config", config], ["config", "check", "--config", config]] {
                let result = try await run(Repository.binary, arguments, environment: isolatedEnvironment([:]))
                #expect(result.status == 78, "\(arguments): \(result.stderr)")
                let line = errorLine(result)
                #expect(line.hasPrefix("s3backup: refusing the config file \(config): ") && line.hasSuffix("run: chmod go-w \(config)"),
                        "\(line)")
            }
        }
        #expect(chmod(config, 0o644) == 0)
        let trusted = try await run(Repository.binary, ["config", "check", "--config", config], environment: isolatedEnvironment([:]))
        #expect(trusted.status == 0, "a file only its owner can change is read: \(trusted.stderr)")

        let passwordFile = path("smtp-password")
        try "PASSWORD-FILE-MARKER\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let runArguments = ["run", "--source", "s3://primary-bucket", "--backup", "s3://backup-bucket", "--db", path("run.db"),
                            "--log-dir", path("logs"), "--mail-to", "ops@example.test", "--mail-from", "backup@example.test",
                            "--smtp-url", "smtp://127.0.0.1:9", "--smtp-user", "reporter", "--smtp-password-file", passwordFile]
        let unreachable = isolatedEnvironment(["AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret",
                                               "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"])
        #expect(chmod(passwordFile, 0o620) == 0)
        let refused = try await run(Repository.binary, runArguments, environment: unreachable)
        #expect(refused.status == 78, "\(refused.stderr)")
        #expect(errorLine(refused) == "s3backup: refusing the --smtp-password-file \(passwordFile): its group can write to it "
            + "(mode 0620), so others could change what s3backup does; run: chmod go-w \(passwordFile)")
        #expect(chmod(passwordFile, 0o604) == 0)
        let readable = try await run(Repository.binary, runArguments, environment: unreachable)
        #expect(readable.stderr.contains("s3backup: warning: the --smtp-password-file \(passwordFile) holds the SMTP password "
            + "and every user can read it: chmod o-r \(passwordFile)"), "\(readable.stderr)")
        #expect(!readable.stderr.contains("refusing") && !readable.stderr.contains("PASSWORD-FILE-MARKER"))
    }

    @Test func logsAreNeverWrittenThroughASymbolicLink() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let victim = path("victim.txt"), link = path("worker.log")
        try "untouched\n".write(toFile: victim, atomically: true, encoding: .utf8)
        #expect(symlink(victim, link) == 0)
        #expect(throws: LogError.self) { try RunLog(appendingTo: link) }
        let result = try await run(Repository.binary, ["work", "--db", path("q.db"), "--until-idle", "--log-file", link],
                                   environment: isolatedEnvironment([:]))
        #expect(result.status == 78, "\(result.stderr)")
        #expect(errorLine(result) == "s3backup: cannot write the log \(link): it is a symbolic link, and logs are never "
            + "written through one; remove the link, or pass --log-dir (--log-file for work) a path of your own")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "untouched\n")
    }

    /// Text → what logs and terminals show.
    @Test(arguments: [
        ("copied \"clients/a.bin\"", "copied \"clients/a.bin\""),
        ("red\u{1B}[31mkey", "red\\x1b[31mkey"),
        ("line\nbreak\r\n", "line\\x0abreak\\x0d\\x0a"),
        ("tab\tnul\u{0}bell\u{7}del\u{7F}", "tab\\x09nul\\x00bell\\x07del\\x7f"),
        ("a literal \\x1b", "a literal \\x5cx1b"),
        ("back\\slash and \\\\ and trailing \\", "back\\slash and \\\\ and trailing \\"),
        ("\\\u{1B}", "\\\\x1b"),
        ("caf\u{E9} 😀 \u{9B}", "caf\u{E9} 😀 \u{9B}"),
    ])
    func controlsAreEscapedUnambiguously(text: String, shown: String) {
        #expect(ControlEscaping.escaped(text) == shown)
        #expect(HardeningTests.unescaped(shown) == text, "the escaped form reads back exactly")
    }

    @Test func everyEscapedTextReadsBackAndHoldsNoControl() {
        let alphabet: [String] = ["\\", "x", "5", "c", "1", "b", "\u{1B}", "\n", "\r", "\u{7F}", "\u{0}", "a", "é"]
        var state: UInt64 = 16
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }
        for _ in 0..<5_000 {
            let text = (0..<next(12)).map { _ in alphabet[next(alphabet.count)] }.joined()
            let shown = ControlEscaping.escaped(text)
            #expect(!shown.utf8.contains(where: ControlEscaping.isControl), "\(text.debugDescription)")
            #expect(HardeningTests.unescaped(shown) == text, "\(text.debugDescription) → \(shown.debugDescription)")
        }
        #expect(ControlEscaping.escaped("a\nb\u{1B}", keeping: [0x0A]) == "a\nb\\x1b")
    }

    /// The reading rule the escaping promises: `\xHH` is the byte HH, every other backslash is itself.
    static func unescaped(_ text: String) -> String {
        var bytes: [UInt8] = []
        let input = Array(text.utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "\\"), index + 3 < input.count, input[index + 1] == UInt8(ascii: "x"),
               input[(index + 2)...(index + 3)].allSatisfy({ Array("0123456789abcdef".utf8).contains($0) }),
               let byte = UInt8(String(decoding: input[(index + 2)...(index + 3)], as: UTF8.self), radix: 16) {
                bytes.append(byte)
                index += 4
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func aLogLineIsOneLineWhateverItHolds() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = try RunLog(appendingTo: path("logs/backup.log"))
        log.line("failed \"a\u{1B}]0;owned\u{7}\": server said \"no\r\nfake line\"")
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: log.path)))
        #expect(bytes.last == 0x0A && bytes.dropLast().allSatisfy { !ControlEscaping.isControl($0) }, "\(bytes)")
        #expect(String(decoding: bytes, as: UTF8.self)
            .hasSuffix(" failed \"a\\x1b]0;owned\\x07\": server said \"no\\x0d\\x0afake line\"\n"))
    }

    /// Standard error's one line: a path holding ESC and a line feed is shown escaped.
    @Test func anErrorLineShowsControlsEscaped() async throws {
        let config = path("a\u{1B}[2Jb\nfake.toml")
        let result = try await run(Repository.binary, ["status", "--db", "x.db", "--config", config],
                                   environment: isolatedEnvironment([:]))
        #expect(result.status == 78)
        #expect(errorLine(result) == "s3backup: cannot read the config file \(directory.path)/a\\x1b[2Jb\\x0afake.toml: No such "
            + "file or directory; check the path given to --config or S3BACKUP_CONFIG")
    }

    /// `ls` on a terminal: a key's controls are escaped; into a pipe the same keys stay raw bytes (ListCommandTests).
    @Test func keysShowEscapedOnATerminal() async throws {
        let emulator = try await Emulator()
        let bucket = try await emulator.makeBucket("tty-keys")
        let keys = ["a-red\u{1B}[31mkey", "b-bell\u{7}", "c-del\u{7F}", "d-cr\rkey", "e-literal\\x41"]
        for key in keys { try await emulator.client.putObject(bucket: bucket, key: key, body: BytesBody([1])) }
        let shown = try await Terminal.run(Repository.binary, ["ls", "s3://\(bucket)"], environment: lsEnvironment(emulator))
        #expect(shown == "a-red\\x1b[31mkey\nb-bell\\x07\nc-del\\x7f\nd-cr\\x0dkey\ne-literal\\x5cx41\n")
    }

    /// A key with a line break is one line on a terminal too (List prints keys with `StandardOutput.record`).
    @Test func aKeyWithALineBreakIsOneLineOnATerminal() async throws {
        let emulator = try await Emulator(.rgw)  // moto cannot store a key with a line feed
        let bucket = try await emulator.makeBucket("tty-newline")
        try await emulator.client.putObject(bucket: bucket, key: "real\nforged", body: BytesBody([1]))
        let shown = try await Terminal.run(Repository.binary, ["ls", "s3://\(bucket)"], environment: lsEnvironment(emulator))
        #expect(shown == "real\\x0aforged\n")
    }

    private func lsEnvironment(_ emulator: Emulator) -> [String: String] {
        isolatedEnvironment(["AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret",
                             "AWS_ENDPOINT_URL": emulator.server.endpoint])
    }

    @Test func aSubjectPrefixWithALineBreakIsRefused() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: MailError.self) {
            try SMTPSettings(url: "smtp://127.0.0.1:25", from: "a@example.test", to: ["b@example.test"],
                             subjectPrefix: "[x]\r\nBcc: evil@example.test")
        }
        let base = ["run", "--source", "s3://primary-bucket", "--backup", "s3://backup-bucket", "--db", path("q.db"),
                    "--log-dir", path("logs")]
        let typed = try await run(Repository.binary, base + ["--mail-subject-prefix", "[x]\r\nBcc: evil@example.test"],
                                  environment: isolatedEnvironment([:]))
        #expect(typed.status == 64, "\(typed.stderr)")
        #expect(typed.stderr.contains("--mail-subject-prefix \"[x]\\r\\nBcc: evil@example.test\" holds the control "
            + "character U+000D; a subject is one line of text: remove it"), "\(typed.stderr)")

        let config = path("s3backup.toml")
        try "[run]\nmail-subject-prefix = \"[x]\\r\\nBcc: evil@example.test\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let filed = try await run(Repository.binary, ["--config", config] + base, environment: isolatedEnvironment([:]))
        #expect(filed.status == 78, "a value the file gives is fixed there: \(filed.stderr)")
        #expect(errorLine(filed).hasPrefix("s3backup: \(config) line 2: --mail-subject-prefix"), "\(filed.stderr)")
        let environment = isolatedEnvironment(["S3BACKUP_MAIL_SUBJECT_PREFIX": "[x]\nBcc: evil@example.test"])
        let exported = try await run(Repository.binary, base, environment: environment)
        #expect(exported.status == 78 && errorLine(exported).contains("S3BACKUP_MAIL_SUBJECT_PREFIX"), "\(exported.stderr)")
    }

    @Test func aRawControlCharacterInTheConfigFileIsRefusedWithItsLine() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = path("s3backup.toml")
        try "[status]\ndb = \"q\u{1B}[2J.db\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        for arguments in [["status", "--config", config], ["config", "check", "--config", config]] {
            let result = try await run(Repository.binary, arguments, environment: isolatedEnvironment([:]))
            #expect(result.status == 78)
            #expect(errorLine(result) == "s3backup: \(config) line 2: holds the control character U+001B, which TOML does not "
                + "allow raw; remove it, or write it as the escape \\u001B in a \"basic string\"")
        }
    }
}

/// Runs a program with its standard output on a pseudo-terminal, in raw mode (no CR added to line feeds).
private enum Terminal {
    /// What the program wrote to the terminal, once it exited (at most `timeout`).
    static func run(_ executable: URL, _ arguments: [String], environment: [String: String],
                    timeout: Duration = .seconds(60)) async throws -> String {
        // posix_openpt and friends are not imported: the same through /dev/ptmx and its ioctls (TIOCSPTLCK, TIOCGPTN;
        // https://man7.org/linux/man-pages/man4/pts.4.html).
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        guard master >= 0 else { throw HelperError("no pseudo-terminal: \(String(cString: strerror(errno)))") }
        defer { close(master) }
        var unlock: CInt = 0, number: CUnsignedInt = 0
        guard ioctl(master, 0x4004_5431, &unlock) == 0, ioctl(master, 0x8004_5430, &number) == 0 else {
            throw HelperError("cannot unlock the pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw HelperError("cannot open the terminal: \(String(cString: strerror(errno)))") }
        var settings = termios()
        tcgetattr(slave, &settings)
        cfmakeraw(&settings)
        tcsetattr(slave, TCSANOW, &settings)
        let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
        let process = try ChildProcess(executable.path, arguments, environment: environment, stdin: .null,
                                       stdout: .file(terminal), stderr: .null)
        defer { if process.isRunning { process.signal(SIGKILL); process.waitUntilExit() } }
        try terminal.close()
        var bytes: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        while ContinuousClock.now < deadline {
            if poll(&poller, 1, 50) > 0 {
                var chunk = [UInt8](repeating: 0, count: 4_096)
                let n = read(master, &chunk, chunk.count)
                if n > 0 { bytes += chunk[..<n]; continue }
                break  // EIO: every writer closed the terminal
            }
            if !process.isRunning, poll(&poller, 1, 0) <= 0 { break }
        }
        // The terminal closes as the program exits, a moment before it can be reaped.
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        guard !process.isRunning else { throw HelperError("\(executable.lastPathComponent) \(arguments) ran longer than \(timeout)") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
