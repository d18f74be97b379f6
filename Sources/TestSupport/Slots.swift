import S3

/// At most `count` holders at once: a test that would overload what the machine runs (two cores, an emulator that
/// serves one request at a time) takes a slot first and waits its turn, without a thread, while others hold them.
public final class Slots: Sendable {
    private let state: LockedBox<(free: Int, waiting: [CheckedContinuation<Void, Never>])>

    /// `count` slots.
    public init(_ count: Int) {
        precondition(count >= 1, "at least one slot")
        state = LockedBox((count, []))
    }

    /// Takes a slot, waiting in turn for one to be given back; the slot is given back by its `release` (at the
    /// latest when the slot goes).
    public func acquire() async -> Slot {
        await withCheckedContinuation { continuation in
            let now = state.mutate { state -> Bool in
                guard state.free == 0 else { state.free -= 1; return true }
                state.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
        return Slot(self)
    }

    /// Hands the slot to the next waiting holder, or frees it.
    fileprivate func giveBack() {
        let next = state.mutate { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty { state.free += 1; return nil }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}

/// One taken slot of `Slots`.
public final class Slot: Sendable {
    private let slots: Slots
    private let released = LockedBox(false)

    fileprivate init(_ slots: Slots) { self.slots = slots }

    /// Gives the slot back; later calls do nothing.
    public func release() {
        let first = released.mutate { released in
            defer { released = true }
            return !released
        }
        if first { slots.giveBack() }
    }

    deinit { release() }
}
