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
func forEachConcurrently<T: Sendable>(_ items: [T], width: Int, _ body: @escaping @Sendable (T) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var iterator = items.makeIterator()
        for _ in 0..<width {
            guard let item = iterator.next() else { break }
            group.addTask { try await body(item) }
        }
        while try await group.next() != nil {
            if let item = iterator.next() { group.addTask { try await body(item) } }
        }
    }
}
