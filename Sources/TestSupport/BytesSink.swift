import S3

/// Collects a response body in memory, for tests that compare the bytes.
public final class BytesSink: BodySink {
    private let storage = LockedBox<[UInt8]>([])
    /// An empty sink.
    public init() {}
    /// The bytes of the last completed attempt.
    public var bytes: [UInt8] { storage.value }
    /// A writer that replaces the stored bytes when it finishes.
    public func makeWriter() throws -> any BodyWriter { Writer(sink: self) }

    private struct Writer: BodyWriter {
        let sink: BytesSink
        var buffer: [UInt8] = []
        mutating func write(_ bytes: UnsafeRawBufferPointer) throws { buffer.append(contentsOf: bytes) }
        mutating func finish() throws {
            let result = buffer
            sink.storage.mutate { $0 = result }
        }
    }
}
