import Foundation
import Spawn
import TestSupport
import Testing

/// The outcome of running a program to its end.
struct CommandResult {
    /// The exit status, or 128 plus the number of the signal that ended it.
    let status: Int32
    let stdout: [UInt8]
    let stderr: String
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs `executable` with `arguments` and exactly `environment` (nothing inherited), bounded by `timeout`.
func run(_ executable: URL, _ arguments: [String], environment: [String: String],
         timeout: Duration = .seconds(60)) async throws -> CommandResult {
    let stdout = Pipe(), stderr = Pipe()
    let child = try ChildProcess(executable.path, arguments, environment: environment, stdin: .null,
                                 stdout: .pipe(stdout), stderr: .pipe(stderr))
    // Read both pipes while the program runs, so a large output cannot block it; on threads of their own, so the
    // reads hold none of the cooperative pool's (one per core) for as long as the program runs.
    async let out = onThreadOfItsOwn { stdout.fileHandleForReading.readDataToEndOfFile() }
    async let err = onThreadOfItsOwn { stderr.fileHandleForReading.readDataToEndOfFile() }
    let deadline = ContinuousClock.now + timeout
    while child.isRunning {
        if ContinuousClock.now > deadline {
            child.signal(SIGTERM)
            throw HelperError("\(executable.lastPathComponent) \(arguments) ran longer than \(timeout)")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    return CommandResult(status: child.termination!.shellStatus, stdout: Array(try await out),
                         stderr: String(decoding: try await err, as: UTF8.self))
}

/// An environment with only what a test means to set: no credentials, profile or endpoint leak in from the
/// machine, and IMDS pointed nowhere (never at 169.254.169.254).
func isolatedEnvironment(_ extra: [String: String]) -> [String: String] {
    let base = ProcessInfo.processInfo.environment
    var environment = ["PATH": base["PATH"] ?? "/usr/bin:/bin", "HOME": "/nonexistent-home",
                       "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent/config",
                       "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials"]
    // A sanitizer run's settings (where reports go) reach the binaries the tests start.
    for name in ["TSAN_OPTIONS", "ASAN_OPTIONS", "LSAN_OPTIONS", "SWIFT_BACKTRACE"] { environment[name] = base[name] }
    environment.merge(extra) { $1 }
    return environment
}

/// The error line of a failed command: exactly one line on stderr, starting `s3backup:`.
func errorLine(_ result: CommandResult) -> String {
    let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("s3backup:") }
    #expect(lines.count == 1, "one error line: \(result.stderr)")
    return lines.first.map(String.init) ?? ""
}
