import Foundation

/// A value behind a lock that a class can hold and share: decide under the lock, act after it. The lock is
/// Foundation's NSLock (a pthread mutex) rather than Synchronization's `Mutex`, whose futex on Linux
/// ThreadSanitizer cannot see: with it every access under the lock was reported as a race.
final class LockedValue<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
