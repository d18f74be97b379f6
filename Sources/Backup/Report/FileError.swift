import Failures
import Foundation

/// A local file operation that failed.
public struct FileError: CategorizedError, CustomStringConvertible {
    /// A file that could not be written is a failure of the command.
    public var category: FailureCategory { .failed }

    /// The file involved.
    public let path: String
    /// What was being done.
    public let operation: String
    /// errno, or 0 when the failure was not a system call's.
    public let code: Int32

    /// A failure of `operation` on `path` with `code` (errno).
    public init(path: String, operation: String, code: Int32) {
        self.path = path
        self.operation = operation
        self.code = code
    }
    /// One line naming the file and the reason.
    public var description: String {
        code == 0 ? "cannot \(operation) \(path)" : "cannot \(operation) \(path): \(String(cString: strerror(code)))"
    }
}
