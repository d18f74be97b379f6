import Foundation

/// A request body that can be read from the start as often as a retry needs: each attempt opens a new reader.
public protocol BodySource: Sendable {
    /// Exact length in bytes (S3 wants a Content-Length on every upload).
    var count: Int64 { get }
    /// Opens a reader positioned at the first byte; called once per attempt, on the transfer thread.
    func makeReader() throws -> any BodyReader
}

/// Reads a body sequentially on one transfer thread.
public protocol BodyReader {
    /// Fills `buffer` from the current position; returns the number of bytes read, 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Where a response body goes; each attempt opens a new writer, which starts from empty.
public protocol BodySink: Sendable {
    /// Opens a writer for one attempt, on the transfer thread.
    func makeWriter() throws -> any BodyWriter
}

/// Receives a response body in order on one transfer thread.
public protocol BodyWriter {
    /// Appends `bytes`.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Called once after the last byte of a successful transfer.
    mutating func finish() throws
}

/// A body held in memory (XML documents, small objects, tests).
public struct BytesBody: BodySource {
    /// The bytes sent.
    public let bytes: [UInt8]
    /// Wraps `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    /// The length of `bytes`.
    public var count: Int64 { Int64(bytes.count) }
    /// A reader over the bytes.
    public func makeReader() throws -> any BodyReader { Reader(bytes: bytes) }

    private struct Reader: BodyReader {
        let bytes: [UInt8]
        var offset = 0
        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let n = min(buffer.count, bytes.count - offset)
            bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) }
            offset += n
            return n
        }
    }
}

/// A byte range of a file on disk (a whole file, or one part of a multipart upload).
public struct FileBody: BodySource {
    /// The file's path.
    public let path: String
    /// First byte of the range.
    public let offset: Int64
    /// Length of the range.
    public let count: Int64

    /// A range of `path`; by default the whole file as it is now.
    public init(path: String, offset: Int64 = 0, count: Int64? = nil) throws {
        self.path = path
        self.offset = offset
        if let count {
            self.count = count
        } else {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            self.count = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        }
    }

    /// Opens the file and seeks to `offset`.
    public func makeReader() throws -> any BodyReader {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError(path: path, operation: "open", code: errno) }
        return Reader(descriptor: FileDescriptor(descriptor), path: path, position: offset, remaining: count)
    }

    private struct Reader: BodyReader {
        let descriptor: FileDescriptor
        let path: String
        var position: Int64
        var remaining: Int64
        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let wanted = Int(min(Int64(buffer.count), remaining))
            guard wanted > 0 else { return 0 }
            let n = pread(descriptor.raw, buffer.baseAddress, wanted, off_t(position))
            guard n >= 0 else { throw FileError(path: path, operation: "read", code: errno) }
            guard n > 0 else { throw FileError(path: path, operation: "read (file shrank while uploading)", code: 0) }
            position += Int64(n)
            remaining -= Int64(n)
            return n
        }
    }
}

/// Collects a response body in memory, for callers that want the bytes (tests, small objects).
public final class BytesSink: BodySink {
    private let storage = LockedValue<[UInt8]>([])
    /// An empty sink.
    public init() {}
    /// The bytes of the last completed attempt.
    public var bytes: [UInt8] { storage.withLock { $0 } }
    /// A writer that replaces the stored bytes when it finishes.
    public func makeWriter() throws -> any BodyWriter { Writer(sink: self) }

    private struct Writer: BodyWriter {
        let sink: BytesSink
        var buffer: [UInt8] = []
        mutating func write(_ bytes: UnsafeRawBufferPointer) throws { buffer.append(contentsOf: bytes) }
        mutating func finish() throws {
            let result = buffer
            sink.storage.withLock { $0 = result }
        }
    }
}

/// Writes a response body to a file: truncated at the start of each attempt, flushed to disk at the end.
public struct FileSink: BodySink {
    /// The destination path.
    public let path: String
    /// A sink writing to `path`.
    public init(path: String) { self.path = path }
    /// Creates or truncates the file.
    public func makeWriter() throws -> any BodyWriter {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError(path: path, operation: "create", code: errno) }
        return Writer(descriptor: FileDescriptor(descriptor), path: path)
    }

    private struct Writer: BodyWriter {
        let descriptor: FileDescriptor
        let path: String
        mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
            var offset = 0
            while offset < bytes.count {
                let n = Foundation.write(descriptor.raw, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw FileError(path: path, operation: "write", code: errno) }
                offset += n
            }
        }
        mutating func finish() throws {
            guard fsync(descriptor.raw) == 0 else { throw FileError(path: path, operation: "fsync", code: errno) }
        }
    }
}

/// Owns a file descriptor and closes it when the last reference goes.
final class FileDescriptor {
    let raw: Int32
    init(_ raw: Int32) { self.raw = raw }
    deinit { close(raw) }
}

/// A local file operation that failed.
public struct FileError: Error, CustomStringConvertible {
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
