import Foundation
import S3

/// Buffered standard output: raw bytes (keys are printed exactly as stored), flushed per page. A failed write
/// (disk full, closed pipe) is an error, never silently lost output.
struct StandardOutput {
    private var buffer: [UInt8] = []

    /// Appends `text` and a newline.
    mutating func line(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Writes what is buffered.
    mutating func flush() throws {
        try buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw FileError(path: "standard output", operation: "write to", code: errno) }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Standard error as a `TextOutputStream`, for `print(_:to:)`.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }

    /// Writes `s3backup: TEXT` as one line: how every error and warning of the command line reads.
    static func say(_ text: String) {
        var standardError = StandardError()
        print("s3backup: \(text)", to: &standardError)
    }
}
