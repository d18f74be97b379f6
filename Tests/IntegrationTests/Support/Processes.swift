import Foundation
import Spawn
import TestSupport

/// A program a test started and stops by its pid however the test ends; its output goes to files, so it never
/// blocks on a full pipe.
final class Started {
    private let child: ChildProcess
    private let stdout: URL, stderr: URL

    init(_ executable: URL, _ arguments: [String], environment: [String: String], output directory: URL) throws {
        let name = UUID().uuidString
        stdout = directory.appendingPathComponent("\(name).out")
        stderr = directory.appendingPathComponent("\(name).err")
        for file in [stdout, stderr] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let out = try FileHandle(forWritingTo: stdout), err = try FileHandle(forWritingTo: stderr)
        defer { try? out.close(); try? err.close() }
        child = try ChildProcess(executable.path, arguments, environment: environment, stdin: .null, stdout: .file(out),
                                 stderr: .file(err))
    }

    var pid: pid_t { child.pid }

    /// Waits for the exit, at most `timeout` (then kills it and throws).
    func wait(timeout: Duration) async throws -> CommandResult {
        try await eventually("\(URL(fileURLWithPath: child.executable).lastPathComponent) to exit", within: timeout) {
            child.isRunning ? nil : true
        }
        return CommandResult(status: child.termination!.shellStatus, stdout: Array((try? Data(contentsOf: stdout)) ?? Data()),
                             stderr: (try? String(contentsOf: stderr, encoding: .utf8)) ?? "")
    }

    /// Kills it if it still runs, and reaps it.
    func stop() {
        guard child.isRunning else { return }
        child.signal(SIGKILL)
        child.waitUntilExit()
    }

    deinit { stop() }
}

/// What /proc says about a process.
enum ProcessTable {
    /// The live processes whose parent is `parent`.
    static func children(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(pid_t.init).filter { parentOf($0) == parent }
    }

    /// The parent, from /proc/PID/stat.
    static func parentOf(_ pid: pid_t) -> pid_t? {
        let fields = statFields(pid)
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }

    /// The state letter from /proc/PID/stat ("T" once a SIGSTOP has taken effect).
    static func state(_ pid: pid_t) -> String? { statFields(pid).first.map(String.init) }

    /// The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses).
    private static func statFields(_ pid: pid_t) -> [Substring] {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return [] }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// The signals it ignores (bit N - 1 for signal N), from the SigIgn line of /proc/PID/status; nil once it is gone.
    /// https://man7.org/linux/man-pages/man5/proc_pid_status.5.html
    static func ignoredSignals(_ pid: pid_t) -> UInt64? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigIgn:") }) else { return nil }
        return UInt64(line.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces), radix: 16)
    }

    /// The command line after the program.
    static func arguments(_ pid: pid_t) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return Array(data.split(separator: 0).dropFirst().map { String(decoding: $0, as: UTF8.self) })
    }

    /// The environment it was started with; nil when it cannot be read (gone, or not ours to read).
    static func environment(_ pid: pid_t) -> [String: String]? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ"), !data.isEmpty else { return nil }
        var environment: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return environment
    }

    /// The command name (/proc/PID/comm).
    static func name(_ pid: pid_t) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines)
    }

    /// The real user id, from /proc/PID/status.
    static func realUser(_ pid: pid_t) -> uid_t? {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }
        return line?.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { uid_t($0) }
    }

    /// `soft hard` of "Max core file size" in /proc/PID/limits.
    static func coreLimit(_ pid: pid_t) -> String? {
        let limits = (try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)) ?? ""
        guard let line = limits.split(separator: "\n").first(where: { $0.hasPrefix("Max core file size") }) else { return nil }
        let fields = line.dropFirst("Max core file size".count).split(separator: " ")
        return fields.count >= 2 ? "\(fields[0]) \(fields[1])" : nil
    }

    /// The owner of /proc/PID/environ: the process's user when it is dumpable, root when it is not.
    static func owner(_ pid: pid_t) -> uid_t? {
        var status = stat()
        return stat("/proc/\(pid)/environ", &status) == 0 ? status.st_uid : nil
    }
}

extension ProcessTable {
    /// The live `s3backup work` processes on the queue at `database` (on their command line, or in S3BACKUP_DB as
    /// `run` starts them), whoever their parent is now.
    static func workers(on database: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(pid_t.init).filter { pid in
            let arguments = arguments(pid)
            return arguments.first == "work" && (arguments.contains(database) || environment(pid)?["S3BACKUP_DB"] == database)
        }
    }
}
