import Queue

/// The one rule for the run a command between two locations works on (`plan`, `run`, `restore`): the unfinished run
/// of the same kind between the same locations comes first (a night that was interrupted is finished before another
/// starts), and a run is created only when there is none, or once it is done. A new run is created when it starts,
/// never before: its id, its creation time (the start of its duration and of the delete window) follow the
/// unfinished run's.
public struct RunOpening: Sendable {
    private let queue: any TaskQueue
    private let parameters: RunParameters

    /// The runs between `parameters`' locations in `queue`.
    public init(queue: any TaskQueue, parameters: RunParameters) {
        self.queue = queue
        self.parameters = parameters
    }

    /// The newest run of this kind between these locations that is neither finished nor cancelled.
    public func unfinished() async throws -> RunID? {
        try await queue.unfinishedRun(kind: parameters.kind, source: parameters.source.url, destination: parameters.backup.url)
    }

    /// A new run of these parameters, planning.
    public func new() async throws -> RunID {
        try await queue.createRun(kind: parameters.kind, source: parameters.source.url, destination: parameters.backup.url,
                                  parameters: try parameters.encoded())
    }

    /// The unfinished run, resumed, or else a new one.
    public func unfinishedOrNew() async throws -> (run: RunID, resumed: Bool) {
        if let run = try await unfinished() { return (run, true) }
        return (try await new(), false)
    }
}
