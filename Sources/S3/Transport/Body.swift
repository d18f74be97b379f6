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
