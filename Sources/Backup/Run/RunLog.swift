import Failures
import Foundation

/// A run's log file, `backup-YYYYMMDD-HHMMSS.log`: timestamped lines for every change made to the backup and
/// every error. Every process of a run appends to the same file; each line is one `write` to a file opened with
/// O_APPEND, so lines from different processes never interleave mid-line. Controls in a line are escaped
/// (`ControlEscaping`), so a key or a server's message can neither split a line nor drive the terminal that shows it.
public final class RunLog: Sendable {
    /// The file.
    public let path: String
    private let descriptor: Int32

    /// Opens `path` for appending, creating it (and its directory) if needed. A symbolic link there is refused, not
    /// followed: whoever could plant one would otherwise have this process append to any file it may write.
    public init(appendingTo path: String) throws {
        try RunLog.makeDirectory((path as NSString).deletingLastPathComponent)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o640)
        guard descriptor >= 0 else { throw LogError(path: path, code: errno) }
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// `mkdir -p`, failing with the path and errno that stopped it.
    private static func makeDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw LogError(path: path, code: ENOTDIR) }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeDirectory(parent) }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw LogError(path: path, code: errno) }
    }

    /// A new log in `directory`, named by `date` (UTC).
    public static func create(in directory: String, at date: Date = Date()) throws -> RunLog {
        try RunLog(appendingTo: (directory as NSString).appendingPathComponent("backup-\(stamp(date)).log"))
    }

    /// Appends one timestamped line; controls inside `text` (line breaks too) are escaped, so one entry stays one line.
    public func line(_ text: String) {
        var entry = RunLog.entry(text)
        _ = entry.withUTF8 { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// `text` as one line of a log: the timestamp, `text` with its controls escaped, a line feed. Standard error's
    /// lines are written the same way.
    public static func entry(_ text: String, at date: Date = Date()) -> String {
        "\(timestamp(date)) \(ControlEscaping.escaped(text))\n"
    }

    /// `text` quoted as Swift writes a string literal (`debugDescription`), so odd keys show exactly; plain
    /// printable ASCII takes a shortcut, because the log names every object copied and `debugDescription` walks
    /// grapheme clusters.
    public static func quoted(_ text: String) -> String {
        let plain = text.utf8.allSatisfy { (0x20...0x7E).contains($0) && !"\"'\\".utf8.contains($0) }
        return plain ? "\"\(text)\"" : text.debugDescription
    }

    /// `2026-12-01T08:30:00Z`: ISO 8601 in UTC to the second, by strftime (a line is written per object copied,
    /// and Foundation's formatter costs more than the rest of the line).
    public static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            let count = strftime(buffer.baseAddress!, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: count), as: UTF8.self)
        }
    }

    /// Where logs go without `--log-dir`: /var/log/s3backup when it can be written, else the user's state
    /// directory ($XDG_STATE_HOME/s3backup, ~/.local/state/s3backup).
    public static func defaultDirectory(environment: [String: String]) -> String {
        let system = "/var/log/s3backup"
        if (try? FileManager.default.createDirectory(atPath: system, withIntermediateDirectories: true)) != nil,
           access(system, W_OK) == 0 {
            return system
        }
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".local/state")
        return (state as NSString).appendingPathComponent("s3backup")
    }

    /// `YYYYMMDD-HHMMSS` in UTC.
    static func stamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d-%02d%02d%02d", parts.year!, parts.month!, parts.day!, parts.hour!,
                      parts.minute!, parts.second!)
    }
}

/// A log file that cannot be opened.
public struct LogError: CategorizedError, CustomStringConvertible {
    /// A log that cannot be written is a setting to fix (--log-dir).
    public var category: FailureCategory { .configuration }
    /// The file.
    public let path: String
    /// errno.
    public let code: Int32
    /// One line with what to do.
    public var description: String {
        if code == ELOOP {
            return "cannot write the log \(path): it is a symbolic link, and logs are never written through one; "
                + "remove the link, or pass --log-dir (--log-file for work) a path of your own"
        }
        return "cannot write the log \(path): \(String(cString: strerror(code))); pass --log-dir a writable directory"
    }
}
