@testable import Backup
import Foundation
import Testing

@Suite("Stream pipe", .timeLimit(.minutes(1)))
struct StreamPipeTests {
    /// 20 MiB through a 64 KiB pipe on two threads: every byte arrives in order, memory stays at the capacity.
    @Test func movesEverythingInOrderThroughASmallBuffer() async throws {
        let pipe = StreamPipe(capacity: 64 * 1024)
        let total = 20 << 20
        let writer = Thread {
            var chunk = [UInt8](repeating: 0, count: 10_007)
            var sent = 0
            while sent < total {
                let n = min(chunk.count, total - sent)
                for i in 0..<n { chunk[i] = UInt8(truncatingIfNeeded: (sent + i) % 251) }
                try? chunk.withUnsafeBytes { try pipe.write(UnsafeRawBufferPointer(rebasing: $0.prefix(n))) }
                sent += n
            }
            pipe.finishWriting()
        }
        writer.start()
        var received = 0, ordered = true
        var buffer = [UInt8](repeating: 0, count: 30_011)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try pipe.read(into: $0) }
            if n == 0 { break }
            for i in 0..<n where buffer[i] != UInt8(truncatingIfNeeded: (received + i) % 251) { ordered = false }
            received += n
        }
        #expect(received == total)
        #expect(ordered)
    }

    @Test func aFailureReachesBothEnds() throws {
        let pipe = StreamPipe(capacity: 16)
        try [UInt8](repeating: 1, count: 16).withUnsafeBytes { try pipe.write($0) }
        pipe.fail("the upload failed")
        #expect(throws: StreamPipeError.self) { try [UInt8](repeating: 1, count: 1).withUnsafeBytes { try pipe.write($0) } }
        var buffer = [UInt8](repeating: 0, count: 4)
        #expect(throws: StreamPipeError.self) { try buffer.withUnsafeMutableBytes { try pipe.read(into: $0) } }
    }

    @Test func anEndMayReopenOnlyBeforeItMovedAByte() throws {
        let pipe = StreamPipe(capacity: 16)
        let source = PipeSource(pipe: pipe, count: 4)
        _ = try source.makeReader()
        _ = try source.makeReader()
        try [UInt8](repeating: 1, count: 4).withUnsafeBytes { try pipe.write($0) }
        _ = try source.makeReader()  // the download moved bytes, the upload did not yet
        #expect(throws: StreamPipeError.self) { try PipeSink(pipe: pipe).makeWriter() }
        var buffer = [UInt8](repeating: 0, count: 4)
        _ = try buffer.withUnsafeMutableBytes { try pipe.read(into: $0) }
        #expect(throws: StreamPipeError.self) { try source.makeReader() }
    }
}
