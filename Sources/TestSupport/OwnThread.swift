import Foundation

/// Runs blocking `work` (a read of a pipe until its end, a wait for a process) on a thread of its own and waits for it
/// without holding a thread of Swift's cooperative pool, which has one thread per core: two blocked reads on a
/// 2-core machine would stop every other test of the process until they return.
public func onThreadOfItsOwn<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
