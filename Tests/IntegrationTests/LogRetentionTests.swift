import Backup
import Foundation
import Testing

/// One owner for each log: s3backup's retention removes its run logs, under every name logrotate or a compressor
/// gives a copy; the shipped logrotate file rotates only the workers' log, and never renames a run log.
@Suite(.timeLimit(.minutes(10))) struct LogRetentionTests {
    private let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("s3backup-logs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Every kind of name a run log has: as written, rotated by number or date, compressed with or without rotation.
    static let runLogNames = [
        "backup-20261101-021500.log", "backup-20261101-021500.log.1", "backup-20261101-021500.log.2.gz",
        "backup-20261101-021500.log-20261108", "backup-20261101-021500.log-20261108.gz", "backup-20261101-021500.log.gz",
        "backup-20261101-021500.log.3.xz", "backup-20261101-021500.log.4.bz2", "backup-20261101-021500.log.5.zst",
        "backup-20261101-021500.log.6.lz4",
    ]

    /// Names that are not s3backup's run logs, however close: never removed.
    static let foreignNames = [
        "workers.log", "workers.log.1", "workers.log.2.gz", "backup-notes.log", "backup-2026-11-01.log",
        "backup-20261101-021500.log.bak", "backup-20261101-021500.log.1.tmp", "backup-20261101-021500.txt",
        "backup-20261101-0215.log", "backup-20261101-021500.log.", "backup-20261101-021500.log.gz.1",
        "xbackup-20261101-021500.log", "notes.txt",
    ]

    @Test(arguments: runLogNames)
    func runLogNamesAreRunLogs(name: String) {
        #expect(LogRetention.isRunLog(name))
    }

    @Test(arguments: foreignNames)
    func otherNamesAreNot(name: String) {
        #expect(!LogRetention.isRunLog(name))
    }

    private func file(_ name: String, daysOld: Double, now: Date, text: String = "a line\n", in folder: URL? = nil) throws -> String {
        let path = (folder ?? directory).appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try setModified(path, daysOld: daysOld, now: now)
        return path
    }

    private func setModified(_ path: String, daysOld: Double, now: Date) throws {
        try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-daysOld * 86_400)],
                                              ofItemAtPath: path)
    }

    /// Ages the link itself (utimensat with AT_SYMLINK_NOFOLLOW), not what it points to.
    private func setLinkModified(_ path: String, daysOld: Double, now: Date) throws {
        let seconds = Int(now.addingTimeInterval(-daysOld * 86_400).timeIntervalSince1970)
        let times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        guard utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw HelperError("cannot age the link \(path): \(String(cString: strerror(errno)))")
        }
    }

    private func names() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
    }

    @Test func runLogsOfFortyDaysGoAndEverythingElseStays() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let now = Date()
        for name in Self.runLogNames { _ = try file(name, daysOld: 40, now: now) }
        let recent = Self.runLogNames.map { $0.replacingOccurrences(of: "20261101", with: "20261201") }
        for name in recent { _ = try file(name, daysOld: 2, now: now) }
        for name in Self.foreignNames { _ = try file(name, daysOld: 40, now: now) }
        // Named like run logs, but not files s3backup writes: a folder, and a link to a file of someone else's.
        let folder = directory.appendingPathComponent("backup-20261001-000000.log").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try setModified(folder, daysOld: 40, now: now)
        let target = try file("elsewhere.txt", daysOld: 40, now: now)
        let link = directory.appendingPathComponent("backup-20261002-000000.log").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        try setLinkModified(link, daysOld: 40, now: now)

        let outcome = LogRetention(days: 30).removeExpired(in: directory.path, now: now)

        #expect(outcome.removed == Self.runLogNames.sorted())
        #expect(outcome.problems.isEmpty, "\(outcome.problems)")
        let left = try names()
        #expect(left == Set(recent + Self.foreignNames + ["backup-20261001-000000.log", "elsewhere.txt",
                                                          "backup-20261002-000000.log"]),
                "left: \(left.sorted())")
    }

    /// `run` ends by applying the retention to its log directory (30 days by default), through the binary on moto.
    @Test func theNightlyRunRemovesItsOldLogsUnderEveryName() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = try await BackupFixture("logkeep")
        defer { fixture.remove() }
        try await fixture.seed(3)
        let logs = URL(fileURLWithPath: fixture.logDirectory)
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let now = Date()
        for name in Self.runLogNames + Self.foreignNames { _ = try file(name, daysOld: 40, now: now, in: logs) }
        let recent = Self.runLogNames.map { $0.replacingOccurrences(of: "20261101", with: "20261201") }
        for name in recent { _ = try file(name, daysOld: 2, now: now, in: logs) }
        let result = try await fixture.run()
        #expect(result.status == 0, "\(result.stderr)")
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: logs.path))
        let new = left.subtracting(recent + Self.foreignNames)
        #expect(new.count == 1 && new.allSatisfy(LogRetention.isRunLog), "only this run's log is new: \(left.sorted())")
        #expect(left.isSuperset(of: recent + Self.foreignNames), "recent and foreign files stay: \(left.sorted())")
        let log = try String(contentsOf: logs.appendingPathComponent(new.first ?? "none"), encoding: .utf8)
        for name in Self.runLogNames { #expect(log.contains("removed the old log \(name)\n"), "the run's log names \(name)") }
    }

    @Test func theRunsOwnLogAndAZeroRetentionAreSpared() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let now = Date()
        let own = try file("backup-20261101-021500.log", daysOld: 40, now: now)
        _ = try file("backup-20261102-021500.log", daysOld: 40, now: now)
        #expect(LogRetention(days: 0).removeExpired(in: directory.path, now: now).removed.isEmpty, "0 keeps every log")
        #expect(LogRetention(days: 30).removeExpired(in: directory.path, now: now, sparing: own).removed
                    == ["backup-20261102-021500.log"])
        #expect(try names() == ["backup-20261101-021500.log"])
    }

    @Test func aDirectoryThatCannotBeReadIsAProblemWithWhatToDo() {
        let missing = directory.appendingPathComponent("nowhere").path
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = LogRetention(days: 30).removeExpired(in: missing)
        #expect(outcome.removed.isEmpty)
        #expect(outcome.problems.count == 1)
        #expect(outcome.problems.first?.contains("cannot read the log directory \(missing)") == true, "\(outcome.problems)")
    }

    /// The shipped ops/logrotate/s3backup, pointed at a temporary directory and forced ten times: the workers' log
    /// is rotated (the newest copy plain, the older ones compressed, eight kept), and the run log is never renamed,
    /// so the run's own retention, which owns it, still finds it and removes it when it is old.
    @Test func logrotateWithTheShippedFileLeavesRunLogsToTheRun() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let logrotate = try #require(Self.logrotate(), "logrotate is not installed: ops/install-deps.sh installs it")
        let shipped = try String(contentsOf: Repository.root.appendingPathComponent("ops/logrotate/s3backup"), encoding: .utf8)
        #expect(shipped.contains("/var/log/s3backup/"), "the shipped file names the log directory")
        let configuration = directory.appendingPathComponent("logrotate.conf").path
        try shipped.replacingOccurrences(of: "/var/log/s3backup/", with: directory.path + "/")
            .write(toFile: configuration, atomically: true, encoding: .utf8)
        let state = directory.appendingPathComponent("logrotate.state").path
        let now = Date()
        let runLog = try file("backup-20261101-021500.log", daysOld: 1, now: now, text: "the run's lines\n")
        let workers = directory.appendingPathComponent("workers.log").path
        #expect(FileManager.default.createFile(atPath: workers, contents: nil))
        for rotation in 1...10 {
            // As a worker writes it: appended to (copytruncate empties it in place after each rotation).
            let handle = try #require(FileHandle(forWritingAtPath: workers))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("worker line \(rotation)\n".utf8))
            try handle.close()
            let result = try await run(logrotate, ["-s", state, "-f", configuration], environment: isolatedEnvironment([:]),
                                       timeout: .seconds(30))
            #expect(result.status == 0, "logrotate, rotation \(rotation): \(result.stderr)")
        }
        let left = try names().subtracting(["logrotate.conf", "logrotate.state"])
        let expected = Set(["backup-20261101-021500.log", "workers.log", "workers.log.1"] + (2...8).map { "workers.log.\($0).gz" })
        #expect(left == expected, "left: \(left.sorted())")
        #expect(try String(contentsOfFile: runLog, encoding: .utf8) == "the run's lines\n", "the run log is untouched")
        #expect(try String(contentsOfFile: workers + ".1", encoding: .utf8) == "worker line 10\n")
        // The two owners never share a file: only the run log is the retention's.
        #expect(left.filter(LogRetention.isRunLog) == ["backup-20261101-021500.log"])
        try setModified(runLog, daysOld: 40, now: now)
        #expect(LogRetention(days: 30).removeExpired(in: directory.path, now: now).removed == ["backup-20261101-021500.log"])
        #expect(try names().subtracting(["logrotate.conf", "logrotate.state"]) == expected.subtracting(["backup-20261101-021500.log"]))
    }

    /// logrotate on this machine: in /usr/sbin or /sbin (where Debian puts it, outside a user's PATH), or on PATH.
    private static func logrotate() -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return (["/usr/sbin", "/sbin"] + path.split(separator: ":").map(String.init))
            .map { URL(fileURLWithPath: $0).appendingPathComponent("logrotate") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
