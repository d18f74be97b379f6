import Foundation
import Spawn
import Synchronization

/// A Python helper server for one test (Tests/Faults/hostile_endpoint.py, ops/test/metadata_standin.py): started on
/// a free loopback port, which it prints first, and stopped by its pid when the test is done with it. Its standard
/// input is a pipe from this process, so it also ends if the test process dies.
final class LoopbackServer: Sendable {
    /// The port it listens on.
    let port: Int
    /// `http://127.0.0.1:PORT`.
    var endpoint: String { "http://127.0.0.1:\(port)" }
    private let process: ChildProcess
    private let stdin: Pipe
    private let stopped = Mutex(false)

    /// Starts `script` (relative to the checkout) with `arguments` and waits at most `startTimeout` seconds for its port.
    init(script: String, arguments: [String] = [], startTimeout: Double = 30) throws {
        let stdin = Pipe(), stdout = Pipe()
        let process = try ChildProcess("/usr/bin/env", ["python3", LoopbackServer.root.appendingPathComponent(script).path] + arguments,
                                       stdin: .pipe(stdin), stdout: .pipe(stdout), stderr: .null)
        guard let port = Int(LoopbackServer.firstLine(of: stdout.fileHandleForReading, within: startTimeout)) else {
            process.signal(SIGKILL)
            process.waitUntilExit()
            throw LoopbackServerError(description: "\(script) printed no port within \(startTimeout) s (is python3 installed?)")
        }
        self.port = port
        self.process = process
        self.stdin = stdin
    }

    /// Runs `body` with a server of `script`, stopping the server afterwards whatever `body` did.
    static func with<T>(_ script: String, arguments: [String] = [],
                        _ body: (LoopbackServer) async throws -> T) async throws -> T {
        let server = try LoopbackServer(script: script, arguments: arguments)
        defer { server.stop() }
        return try await body(server)
    }

    /// Kills the server (SIGKILL: at once, whatever it is doing) and waits for it; connections it held close, so
    /// transfers to it end.
    func stop() {
        guard stopped.withLock({ wasStopped in defer { wasStopped = true }; return !wasStopped }) else { return }
        process.signal(SIGKILL)
        process.waitUntilExit()
        try? stdin.fileHandleForWriting.close()
    }

    deinit { stop() }

    /// The checkout's root, found from this file's path (Tests/S3Tests/Support/).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    private static func firstLine(of handle: FileHandle, within seconds: Double) -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var bytes = [UInt8]()
        var pollFD = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
        while Date() < deadline {
            guard poll(&pollFD, 1, 100) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(handle.fileDescriptor, &byte, 1) == 1, byte != UInt8(ascii: "\n") else { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A helper server that would not start.
struct LoopbackServerError: Error, CustomStringConvertible {
    let description: String
}
