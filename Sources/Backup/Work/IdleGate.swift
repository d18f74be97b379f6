import S3

/// Keeps a worker's idle slots from all polling the queue: while the queue has nothing for the process, one slot
/// (the prober) asks again every poll interval and the others wait until it stops, having found work, found
/// nothing left, or been told to stop; then they ask for themselves. Sixteen slots polling four times a second
/// were most of a worker's queue transactions, each one taking the write lock every other process needs.
final class IdleGate: Sendable {
    private struct State {
        var probing = false
        var waiting: [CheckedContinuation<Void, Never>] = []
        /// The prober's nap, and which one it is (a nap's timer must not end a later nap).
        var nap: (continuation: CheckedContinuation<Void, Never>, number: Int)?
        var naps = 0
        /// A task finished while nobody napped: the next nap is skipped.
        var woken = false
    }

    private let state = LockedBox(State())

    /// True when the caller is now the prober (it must call `leave()` when it stops); false once the prober the
    /// caller waited for has stopped.
    func enter() async -> Bool {
        let probing = state.mutate { state in
            defer { state.probing = true }
            return !state.probing
        }
        if probing { return true }
        await withCheckedContinuation { waiter in
            let proberLeft = state.mutate { state in
                guard state.probing else { return true }
                state.waiting.append(waiter)
                return false
            }
            if proberLeft { waiter.resume() }
        }
        return false
    }

    /// The prober stops; everyone waiting for it goes on.
    func leave() {
        let waiting = state.mutate { state in
            defer { (state.probing, state.waiting) = (false, []) }
            return state.waiting
        }
        for waiter in waiting { waiter.resume() }
    }

    /// The prober waits up to `interval` before asking the queue again, less when `wake()` is called meanwhile.
    func nap(_ interval: Duration) async {
        await withCheckedContinuation { continuation in
            let number: Int? = state.mutate { state in
                if state.woken {
                    state.woken = false
                    return nil
                }
                state.naps += 1
                state.nap = (continuation, state.naps)
                return state.naps
            }
            guard let number else { return continuation.resume() }
            Task { [self] in
                try? await Task.sleep(for: interval)
                endNap(number)
            }
        }
    }

    /// A slot of this process finished a task: the queue may now hold nothing more (or a task this finish
    /// released), so the prober asks at once instead of after its interval; a run's last task no longer leaves
    /// the worker idle for a poll interval before it sees that nothing is left.
    func wake() { endNap(nil) }

    /// Ends nap `number` (its interval is over), unless it ended already; with nil (a wake) ends whichever nap is
    /// on, or, with none on, makes the next one end at once. Checked and changed under one lock.
    private func endNap(_ number: Int?) {
        let nap = state.mutate { state -> CheckedContinuation<Void, Never>? in
            guard let nap = state.nap, number == nil || nap.number == number else {
                if number == nil { state.woken = true }
                return nil
            }
            state.nap = nil
            return nap.continuation
        }
        nap?.resume()
    }
}
