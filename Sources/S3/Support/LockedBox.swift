import Foundation

/// A value behind a lock that classes and closures can hold and share: decide under the lock, act after it.
///
/// The lock is Foundation's `NSLock` (a pthread mutex) rather than Synchronization's `Mutex`, whose futex on Linux
/// ThreadSanitizer cannot see: with it every access under the lock was reported as a race.
public final class LockedBox<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `stored` is only touched under `lock`.
    private let lock = NSLock()
    private var stored: Value

    /// A box holding `value`.
    public init(_ value: Value) { stored = value }

    /// A copy of the value as it is now.
    public var value: Value { lock.withLock { stored } }

    /// Runs `body` with the value under the lock; what `body` changes stays.
    public func mutate<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        try lock.withLock { try body(&stored) }
    }
}
