import Foundation
import Queue

/// What one worker process of a run is asked to do.
public struct WorkerAssignment: Sendable, Equatable {
    /// The run whose tasks it works.
    public var run: RunID
    /// Objects it transfers at once.
    public var concurrency: Int
    /// How long a task it claims stays its own without a heartbeat, in seconds.
    public var leaseSeconds: Int
    /// The run's log file, which it appends to.
    public var logFile: String
    /// The process that started it: it stops, as on SIGTERM, once that one is gone.
    public var parent: Int32
}

/// How a runner starts its worker processes: the program, the command line that makes it work one assignment, and
/// what its environment adds to the variables every worker gets (`WorkerEnvironment`), such as the queue's location.
/// The program that knows its own command line gives it; the runner only says what each worker is to do. The queue's
/// location travels in the environment, never on a command line, which any user of the host can read
/// (/proc/PID/cmdline), so a location that holds a password is as safe as a path.
public struct WorkerLauncher: Sendable {
    /// The program.
    public let executable: URL
    /// The arguments for an assignment.
    public let arguments: @Sendable (WorkerAssignment) -> [String]
    /// Variables set for every worker, over the environment it is given.
    public let environment: [String: String]

    /// A launcher of `executable` with `arguments`, adding `environment`.
    public init(executable: URL, environment: [String: String] = [:],
                arguments: @escaping @Sendable (WorkerAssignment) -> [String]) {
        self.executable = executable
        self.environment = environment
        self.arguments = arguments
    }
}
