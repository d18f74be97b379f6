import Foundation

/// Bounds how many transfers a worker process runs at once, across all the tasks it holds. A lock, not an actor:
/// taking and returning a free permit is a few instructions on the caller's thread, where an actor would cost two
/// executor hops per transfer; only a caller that must wait suspends.
final class AsyncSemaphore: Sendable {
    private struct State {
        var permits: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: LockedBox<State>

    init(permits: Int) {
        precondition(permits >= 1, "at least one permit")
        state = LockedBox(State(permits: permits))
    }

    /// Runs `body` holding a permit.
    func withPermit<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        let granted = state.mutate { state in
            guard state.permits > 0 else { return false }
            state.permits -= 1
            return true
        }
        if granted { return }
        await withCheckedContinuation { continuation in
            // A permit returned between the check above and now goes straight to this waiter.
            let granted = state.mutate { state in
                guard state.permits > 0 else {
                    state.waiters.append(continuation)
                    return false
                }
                state.permits -= 1
                return true
            }
            if granted { continuation.resume() }
        }
    }

    /// Hands the permit to the longest waiter, or puts it back.
    private func release() {
        let next = state.mutate { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.permits += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
