import Foundation
import Spawn
import TestSupport

/// A helper server for tests (the S3 emulator, a metadata stand-in): a script under ops/test that prints its
/// loopback port and lives until its standard input closes, so it cannot outlive the test process.
final class HelperServer: Sendable {
    /// The port it listens on.
    let port: Int
    /// The address it listens on: loopback unless told otherwise.
    let host: String
    /// `http://HOST:PORT`.
    var endpoint: String { "http://\(host):\(port)" }
    private let child: ChildProcess
    private let stdin: Pipe

    /// Starts `ops/test/<script>` (a script given with a folder is relative to the checkout) with `arguments` and
    /// waits (at most `startTimeout` seconds) for its port; `host` is the address the arguments told it to listen on.
    init(script: String, arguments: [String] = [], host: String = "127.0.0.1", startTimeout: Double = 30) async throws {
        let path = Repository.root.appendingPathComponent(script.contains("/") ? script : "ops/test/\(script)").path
        let stdin = Pipe(), stdout = Pipe()
        // The server's own log (moto prints a traceback for every request it fails) goes to a file, read only
        // when the server does not start.
        let log = FileManager.default.temporaryDirectory
            .appendingPathComponent("s3backup-\(URL(fileURLWithPath: script).lastPathComponent)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        defer { try? logHandle.close() }
        let child = try ChildProcess("/usr/bin/env", ["python3", path] + arguments, stdin: .pipe(stdin), stdout: .pipe(stdout),
                                     stderr: .file(logHandle))
        // Waited for on a thread of its own: a server takes seconds to start, and the pool's threads are few.
        let reading = stdout.fileHandleForReading
        let line = try await onThreadOfItsOwn { try HelperServer.firstLine(of: reading, within: startTimeout) }
        guard let port = Int(line) else {
            child.signal(SIGTERM)
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw HelperError("\(script) did not start; are moto[server] and Ceph's radosgw installed? Run the README's test "
                + "command, which installs them. Its output: \(output.suffix(2_000))")
        }
        self.port = port
        self.host = host
        self.child = child
        self.stdin = stdin
    }

    deinit {
        try? stdin.fileHandleForWriting.close()
        child.waitUntilExit()
    }

    private static func firstLine(of handle: FileHandle, within seconds: Double) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var bytes = [UInt8]()
        var pollFD = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
        while Date() < deadline {
            guard poll(&pollFD, 1, 100) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(handle.fileDescriptor, &byte, 1) == 1 else { break }
            if byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A failure of the test harness itself.
struct HelperError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Paths inside this checkout.
enum Repository {
    /// The checkout's root, found from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The built `s3backup` binary beside the test bundle.
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("s3backup")
    }
}
