import Foundation

/// At most `count` holders at once: a test that would overload what the machine runs (two cores, an emulator that
/// serves one request at a time) takes a slot first and waits its turn, without a thread, while others hold them.
public final class Slots: @unchecked Sendable {
    // @unchecked: `free` and `waiting` are only touched under `lock`.
    private let lock = NSLock()
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// `count` slots.
    public init(_ count: Int) {
        precondition(count >= 1, "at least one slot")
        free = count
    }

    /// Takes a slot, waiting in turn for one to be given back; the slot is given back by its `release` (at the
    /// latest when the slot goes).
    public func acquire() async -> Slot {
        await withCheckedContinuation { continuation in
            let now = lock.withLock { () -> Bool in
                guard free == 0 else { free -= 1; return true }
                waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
        return Slot(self)
    }

    fileprivate func giveBack() {
        let next = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            if waiting.isEmpty { free += 1; return nil }
            return waiting.removeFirst()
        }
        next?.resume()
    }
}

/// One taken slot of `Slots`.
public final class Slot: Sendable {
    private let slots: Slots
    private let released = LockedFlag()

    fileprivate init(_ slots: Slots) { self.slots = slots }

    /// Gives the slot back; later calls do nothing.
    public func release() { if released.set() { slots.giveBack() } }

    deinit { release() }
}

/// A flag set once.
private final class LockedFlag: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = false
    /// Sets the flag; whether this call set it.
    func set() -> Bool { lock.withLock { defer { value = true }; return !value } }
}
