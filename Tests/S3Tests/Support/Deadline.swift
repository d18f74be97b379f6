import Synchronization

/// A bounded wait that ran out.
struct DeadlineExceeded: Error, CustomStringConvertible {
    let description: String
}

/// Runs `body` and returns what it returns, or throws `DeadlineExceeded` once `seconds` have passed without an
/// answer. The tests that use it guard against requests that never end; such a request blocks a transfer thread and
/// cannot be cancelled, so it is left behind (it ends when the test stops its server) and the test fails instead of
/// hanging the run.
func within<T: Sendable>(seconds: Double, _ what: String,
                         _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let settled = Settled()
    return try await withCheckedThrowingContinuation { continuation in
        let work = Task {
            do {
                let value = try await body()
                if settled.claim() { continuation.resume(returning: value) }
            } catch {
                if settled.claim() { continuation.resume(throwing: error) }
            }
        }
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            if settled.claim() {
                work.cancel()
                continuation.resume(throwing: DeadlineExceeded(description: "\(what) did not end within \(seconds) s"))
            }
        }
    }
}

/// Lets exactly one of several racers resume a continuation.
private final class Settled: Sendable {
    private let done = Mutex(false)

    /// True for the first caller only.
    func claim() -> Bool {
        done.withLock { done in
            defer { done = true }
            return !done
        }
    }
}
