import Failures
import Foundation
import Queue
import S3

/// A request to stop a runner (SIGTERM, SIGINT): the workers of the run in hand are told to finish what they hold
/// and give the rest back, planning ends, and the run is left unfinished for the next `run` to finish.
final class RunStop: Sendable {
    private let state = LockedBox((requested: false, pools: [WorkerProcesses]()))

    /// Whether stopping was asked.
    var requested: Bool { state.value.requested }

    /// Asks to stop: every pool registered so far, and any registered later, is stopped.
    func request() {
        let pools = state.mutate { state in
            state.requested = true
            return state.pools
        }
        pools.forEach { $0.stop() }
    }

    /// Watches `pool`: stopped at once when stopping was already asked.
    func watch(_ pool: WorkerProcesses) {
        if state.mutate({ state in
            state.pools.append(pool)
            return state.requested
        }) {
            pool.stop()
        }
    }
}

/// A run a command left unfinished in the queue, for the same command (or, for a backup, the next `run`) to finish.
public struct UnfinishedRun: Sendable {
    /// The run.
    public let run: RunID
    /// `backup` or `restore`.
    public let kind: String
    /// Its locations, `source → destination`.
    public let locations: String

    /// `record`'s run.
    init(_ record: RunRecord) {
        run = record.id
        kind = record.kind
        locations = "\(record.source) → \(record.destination)"
    }

    /// `restore run 2 (s3://… → s3://…)`.
    var title: String { "\(kind) run \(run) (\(locations))" }
}

/// A run that was stopped before it finished, with how far it got: an error, so that no caller takes it for a
/// finished run. The run stays unfinished in the queue; the next `run` finishes it.
public struct RunStopped: CategorizedError, CustomStringConvertible, Sendable {
    /// A stop is its own outcome.
    public var category: FailureCategory { .stopped }

    /// The run.
    public let unfinished: UnfinishedRun
    /// How far it got, one line.
    public let progress: String

    /// One line with what happens next.
    public var description: String {
        let next = unfinished.kind == "restore" ? "the same `s3backup restore` command finishes it" : "the next `s3backup run` finishes it"
        return "\(unfinished.title) was stopped before it finished: \(progress); \(next)"
    }
}
