import CLinux
import Foundation
import S3

/// SIGTERM and SIGINT as a request to stop: while a command's work goes on, the first one asks it to stop (the
/// workers finish what they hold); once it is done (mailing its report, exiting) there is nothing to stop, and the
/// first is ignored. A second one always exits at once. Before the handler is first installed, either takes its
/// default action (the process ends: it has started nothing yet).
///
/// The handler is C (`s3b_stop_signals_install`), installed with one sigaction per signal: there is no moment at which a
/// signal is ignored, as there was between `signal(SIG_IGN)` and a dispatch source's registration, when a worker
/// told to stop just after it started never heard it and worked on.
/// https://man7.org/linux/man-pages/man7/signal.7.html
public enum StopSignals {
    private static let stop = LockedBox<(@Sendable (Int32) -> Void)?>(nil)

    /// Installs the handler and starts the thread that hears it, once per process; what went wrong, if anything.
    private static let installProblem: String? = {
        guard s3b_stop_signals_install() == 0 else { return String(cString: strerror(errno)) }
        Thread.detachNewThread {
            while case let number = s3b_stop_signal_wait(), number > 0 { stop.value?(number) }
        }
        return nil
    }()

    /// Runs `body`; the first SIGTERM or SIGINT meanwhile is told to `log` and calls `request`, a second exits at once
    /// (128 + its number). The handler is set before it is installed: from the first moment it is there, it acts.
    public static func during<T>(request: @escaping @Sendable () -> Void, log: @escaping @Sendable (String) -> Void,
                                 _ body: () async throws -> T) async rethrows -> T {
        let alone = stop.mutate { current in
            guard current == nil else { return false }
            current = { _ in
                log("stopping: finishing the tasks in hand (signal again to exit at once)")
                request()
            }
            return true
        }
        precondition(alone, "stop signals are handled by one body at a time")
        defer { stop.mutate { $0 = nil } }
        if let reason = installProblem {
            log("warning: cannot handle SIGTERM and SIGINT (\(reason)): either stops this process at once")
        }
        return try await body()
    }
}
