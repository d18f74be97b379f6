import Backup
import Foundation

/// Timestamped lines on standard error.
enum Log {
    /// Writes one line.
    static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(RunLog.entry(line).utf8))
    }
}
