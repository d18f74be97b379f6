import Foundation

/// Timestamped lines on standard error.
enum Log {
    /// Writes one line.
    static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data("\(Date().formatted(.iso8601)) \(line)\n".utf8))
    }
}
