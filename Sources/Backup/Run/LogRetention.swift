import Foundation

/// How long run logs are kept, and the one rule for which files in a log directory are run logs.
///
/// s3backup owns the retention of its run logs: each `run` ends by removing the run logs last written more than
/// `--log-retention-days` days ago. logrotate does not touch them (ops/logrotate/s3backup rotates only the log of
/// the systemd workers, `workers.log`, which a long-lived process keeps open): a run log is a new file per run that
/// nothing reopens, so there is nothing to rotate, and a logrotate rule for `backup-*.log` renames each log once
/// (`….log.1`) and never matches it again.
///
/// A file is a run log when its name is, exactly, what `RunLog.create` writes, `backup-YYYYMMDD-HHMMSS.log`
/// (digits where the letters are), optionally followed by the suffixes logrotate or a compressor add to a copy:
/// a rotation number (`.1`) or date (`-20261201`), then a compression extension (`.gz`, `.bz2`, `.xz`, `.zst`,
/// `.lz4`). So `backup-20261201-021500.log`, `….log.1`, `….log.2.gz`, `….log-20261201.gz` and `….log.gz` are
/// run logs; `backup-notes.log`, `….log.bak`, `workers.log.3.gz` and anything else are not, and are never
/// removed. Only regular files are removed: never a directory, a symbolic link or what one points to.
public struct LogRetention: Sendable {
    /// Run logs last written more than this many days ago are removed; 0 (or less) keeps every log.
    public let days: Int

    /// A retention of `days` days.
    public init(days: Int) { self.days = days }

    /// What one pass removed, and what it could not.
    public struct Outcome: Sendable, Equatable {
        /// The names of the run logs removed, sorted.
        public var removed: [String] = []
        /// One line per log (or directory) that could not be removed or read, with what to do.
        public var problems: [String] = []
    }

    /// The compression extensions a rotated copy may carry.
    static let compressionExtensions: Set<String> = ["gz", "bz2", "xz", "zst", "lz4"]

    /// Whether `name` is a run log, as written or as logrotate or a compressor renamed it (see the type's rule).
    public static func isRunLog(_ name: String) -> Bool {
        var rest = Substring(name)
        guard rest.hasPrefix("backup-") else { return false }
        rest = rest.dropFirst("backup-".count)
        guard takeDigits(8, from: &rest), rest.first == "-" else { return false }
        rest = rest.dropFirst()
        guard takeDigits(6, from: &rest), rest.hasPrefix(".log") else { return false }
        rest = rest.dropFirst(".log".count)
        // A rotation suffix: `.N` (logrotate's numbering) or `-DIGITS` (its dateext, `-%Y%m%d` by default).
        if let mark = rest.first, mark == "." || mark == "-" {
            let digits = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
            if !digits.isEmpty { rest = rest.dropFirst(1 + digits.count) }
        }
        if rest.isEmpty { return true }
        // A compression extension, last.
        guard rest.first == "." else { return false }
        return compressionExtensions.contains(String(rest.dropFirst()))
    }

    /// Removes the run logs in `directory` last modified before `days` days ahead of `now`, except `sparing` (the
    /// log of the run that is removing them, by path or name). Nothing but run logs is ever removed.
    public func removeExpired(in directory: String, now: Date = Date(), sparing: String? = nil) -> Outcome {
        var outcome = Outcome()
        guard days > 0 else { return outcome }
        let cutoff = now.addingTimeInterval(-Double(days) * 86_400)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            outcome.problems.append("cannot read the log directory \(directory) to remove logs older than \(days) days: "
                + "\(error.localizedDescription); check its permissions (ls -ld \(directory))")
            return outcome
        }
        let spared = sparing.map { ($0 as NSString).lastPathComponent }
        for name in names.sorted() where Self.isRunLog(name) && name != spared {
            let path = (directory as NSString).appendingPathComponent(name)
            var status = stat()
            // lstat: a symbolic link is seen as a link (RunLog never makes one), so neither it nor its target goes.
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { continue }
            let modified = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
            guard modified < cutoff.timeIntervalSince1970 else { continue }
            if unlink(path) == 0 {
                outcome.removed.append(name)
            } else {
                let code = errno
                guard code != ENOENT else { continue }  // another process removed it first
                outcome.problems.append("cannot remove the old log \(path): \(String(cString: strerror(code))); remove it "
                    + "by hand, or let the user s3backup runs as write to \(directory)")
            }
        }
        return outcome
    }

    /// Consumes exactly `count` ASCII digits from the front of `text`; false (and `text` unchanged) otherwise.
    private static func takeDigits(_ count: Int, from text: inout Substring) -> Bool {
        let digits = text.prefix(count)
        guard digits.count == count, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        text = text.dropFirst(count)
        return true
    }
}
