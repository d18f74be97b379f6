import Backup
import Foundation
import S3

/// Buffered standard output, flushed per page. Into a pipe or a file it writes raw bytes (keys are printed exactly
/// as stored, for scripts); on a terminal every control character is escaped (`ControlEscaping`, `\x1b`), so a key
/// cannot move the cursor, rewrite what is shown or change the terminal's settings. A failed write (disk full,
/// closed pipe) is an error, never silently lost output.
struct StandardOutput {
    private var buffer: [UInt8] = []
    /// Whether standard output is a terminal, asked once.
    private let terminal = isatty(STDOUT_FILENO) == 1

    /// Appends `text` and a newline; on a terminal, `text`'s controls are escaped but its line breaks, which a
    /// multi-line report is made of.
    mutating func line(_ text: String) throws {
        try append(terminal ? ControlEscaping.escaped(text, keeping: [UInt8(ascii: "\n")]) : text)
    }

    /// Appends one record that is one line whatever it holds (a key), and a newline: on a terminal, its line
    /// breaks are escaped too.
    mutating func record(_ text: String) throws {
        try append(terminal ? ControlEscaping.escaped(text) : text)
    }

    private mutating func append(_ text: String) throws {
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

    /// Writes `s3backup: TEXT` as one line: how every error and warning of the command line reads. Controls in
    /// `text` (a key, a server's message) are escaped, line breaks too, so it stays one line that cannot drive the
    /// terminal or forge the next line of a log.
    static func say(_ text: String) {
        var standardError = StandardError()
        print("s3backup: \(ControlEscaping.escaped(text))", to: &standardError)
    }
}

/// Writes `page` (`what` it is, for the error) to the file at `path`; a file that cannot be written is a `FileError`
/// with the system's reason.
func writePage(_ page: String, to path: String, what: String) throws {
    do { try Data(page.utf8).write(to: URL(fileURLWithPath: path)) } catch {
        let errno = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code ?? 0
        throw FileError(path: path, operation: "write \(what) to", code: Int32(errno))
    }
}
