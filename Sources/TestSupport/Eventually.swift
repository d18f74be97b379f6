/// Why a test stopped waiting.
public struct WaitedTooLong: Error, CustomStringConvertible {
    /// What it waited for, and how long.
    public let description: String
}

/// Waits for `condition` to give a value, polling every 25 ms, at most `limit`: a test waits for what it needs,
/// never for a fixed time. Throws `WaitedTooLong`, naming `what`, when the limit passes first.
@discardableResult
public func eventually<T>(_ what: String, within limit: Duration, _ condition: () async throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + limit
    while true {
        if let value = try await condition() { return value }
        guard ContinuousClock.now < deadline else { throw WaitedTooLong(description: "waited \(limit) for \(what)") }
        try await Task.sleep(for: .milliseconds(25))
    }
}
