import Foundation
import S3

/// Moves bodies between the store and its callers' sources and sinks on a thread of its own: a reader or writer
/// may block (a pipe to a download running at the same time), which must not hold one of Swift's pool threads.
enum BodyTransfer {
    /// All of `source`'s bytes.
    static func read(_ source: any BodySource) async throws -> [UInt8] {
        try await onThreadOfItsOwn {
            var reader = try source.makeReader()
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let count = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                if count == 0 { return bytes }
                bytes += buffer[..<count]
            }
        }
    }

    /// Writes `bytes` into `sink` and finishes it.
    static func write(_ bytes: [UInt8], to sink: any BodySink) async throws {
        try await onThreadOfItsOwn {
            var writer = try sink.makeWriter()
            var offset = 0
            repeat {
                let end = min(bytes.count, offset + (64 << 10))
                try bytes[offset..<end].withUnsafeBytes { try writer.write($0) }
                offset = end
            } while offset < bytes.count
            try writer.finish()
        }
    }
}
