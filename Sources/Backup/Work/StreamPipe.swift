import Foundation
import S3

/// A bounded buffer between a download and an upload running at the same time: the GET writes into it, the PUT
/// reads from it, and memory stays at `capacity` whatever the object's size. Either side failing fails the other.
final class StreamPipe: @unchecked Sendable {
    // @unchecked: all state is guarded by `condition`.
    private let condition = NSCondition()
    private var ring: [UInt8]
    private var start = 0
    private var filled = 0
    private var written: Int64 = 0
    private var read: Int64 = 0
    private var writerFinished = false
    private var failure: String?

    /// A pipe holding at most `capacity` bytes.
    init(capacity: Int = 8 << 20) { ring = [UInt8](repeating: 0, count: capacity) }

    /// Appends `bytes`, waiting while the pipe is full.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        condition.lock()
        defer { condition.unlock() }
        var offset = 0
        while offset < bytes.count {
            while filled == ring.count && failure == nil { condition.wait() }
            if let failure { throw StreamPipeError(reason: failure) }
            let end = (start + filled) % ring.count
            let n = min(bytes.count - offset, ring.count - filled, ring.count - end)
            ring.withUnsafeMutableBytes { ring in
                ring.baseAddress!.advanced(by: end).copyMemory(from: bytes.baseAddress!.advanced(by: offset), byteCount: n)
            }
            filled += n
            offset += n
            written += Int64(n)
            condition.broadcast()
        }
    }

    /// Takes up to `buffer.count` bytes, waiting while the pipe is empty; 0 once the writer finished.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        condition.lock()
        defer { condition.unlock() }
        while filled == 0 && !writerFinished && failure == nil { condition.wait() }
        if let failure { throw StreamPipeError(reason: failure) }
        guard filled > 0 else { return 0 }
        let n = min(buffer.count, filled, ring.count - start)
        ring.withUnsafeBytes { ring in
            buffer.baseAddress!.copyMemory(from: ring.baseAddress!.advanced(by: start), byteCount: n)
        }
        start = (start + n) % ring.count
        filled -= n
        read += Int64(n)
        condition.broadcast()
        return n
    }

    /// The writer delivered everything.
    func finishWriting() {
        condition.lock()
        writerFinished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops both sides; the first reason wins.
    func fail(_ reason: String) {
        condition.lock()
        if failure == nil { failure = reason }
        condition.broadcast()
        condition.unlock()
    }

    /// The ends of a pipe.
    enum End: String {
        case download, upload
    }

    /// An end may (re)open only while it has moved no byte: a retried request that failed before its body.
    func checkFresh(_ end: End) throws {
        condition.lock()
        defer { condition.unlock() }
        guard (end == .download ? written : read) == 0 else {
            throw StreamPipeError(reason: "the \(end.rawValue) of a streamed copy cannot restart mid-stream; the object is copied again as a whole")
        }
    }
}

/// A streamed copy's pipe broke: the other side failed, or a side tried to restart mid-stream.
struct StreamPipeError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

/// The download's end of a pipe.
struct PipeSink: BodySink {
    let pipe: StreamPipe
    /// Where the bytes written are checksummed too, if anywhere.
    var hashing: LockedBox<CRC64NVME>?

    func makeWriter() throws -> any BodyWriter {
        try pipe.checkFresh(.download)
        return Writer(pipe: pipe, hashing: hashing)
    }

    private struct Writer: BodyWriter {
        let pipe: StreamPipe
        let hashing: LockedBox<CRC64NVME>?
        mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
            hashing?.mutate { $0.update(bytes) }
            try pipe.write(bytes)
        }
        mutating func finish() throws { pipe.finishWriting() }
    }
}

/// The upload's end of a pipe: `count` bytes, the source object's (or part's) size.
struct PipeSource: BodySource {
    let pipe: StreamPipe
    let count: Int64
    func makeReader() throws -> any BodyReader {
        try pipe.checkFresh(.upload)
        return Reader(pipe: pipe)
    }

    private struct Reader: BodyReader {
        let pipe: StreamPipe
        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try pipe.read(into: buffer) }
    }
}
