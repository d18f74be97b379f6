/// Keeps a worker's idle slots from all polling the queue: while the queue has nothing for the process, one slot
/// (the prober) asks again every poll interval and the others wait until it stops, having found work, found
/// nothing left, or been told to stop; then they ask for themselves. Sixteen slots polling four times a second
/// were most of a worker's queue transactions, each one taking the write lock every other process needs.
final class IdleGate: Sendable {
    private struct State {
        var probing = false
        var waiting: [CheckedContinuation<Void, Never>] = []
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
            defer { state = State() }
            return state.waiting
        }
        for waiter in waiting { waiter.resume() }
    }
}
