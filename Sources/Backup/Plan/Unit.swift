import S3

/// A part of the key space, planned on its own and in parallel with the others. Paths are relative to the run's
/// source and backup prefixes.
public enum Unit: Sendable, Hashable, CustomStringConvertible {
    /// Every key under `path`.
    case deep(String)
    /// Only the keys directly under `path` (not under a deeper `/`).
    case flat(String)

    /// The form stored in the queue: `deep:PATH` or `flat:PATH`.
    public var description: String {
        switch self {
        case .deep(let path): "deep:\(path)"
        case .flat(let path): "flat:\(path)"
        }
    }

    /// Parses the stored form.
    public init?(_ text: String) {
        if text.hasPrefix("deep:") {
            self = .deep(String(text.dropFirst(5)))
        } else if text.hasPrefix("flat:") {
            self = .flat(String(text.dropFirst(5)))
        } else {
            return nil
        }
    }

    /// The path below the run's prefixes.
    var path: String {
        switch self {
        case .deep(let path), .flat(let path): path
        }
    }
}

/// Runs `body` for every element, at most `width` at a time; the first error cancels the rest and is thrown.
/// `width` runners each take the next element when done with one: no task is made per element, and no task
/// waits on another to start the next (each start or resume is a hop between threads). The runners leave any
/// `TransferLane` they were called on, which would run them one at a time.
func forEachConcurrently<T: Sendable>(_ items: [T], width: Int, _ body: @escaping @Sendable (T) async throws -> Void) async throws {
    let next = LockedBox(0)
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<min(width, items.count) {
            group.addTask(executorPreference: globalConcurrentExecutor) {
                try await TransferLane.leave {
                    while !Task.isCancelled {
                        let index = next.mutate { next in
                            defer { next += 1 }
                            return next
                        }
                        guard index < items.count else { return }
                        try await body(items[index])
                    }
                }
            }
        }
        try await group.waitForAll()
    }
}
