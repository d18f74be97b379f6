import Dispatch
import Foundation
import Synchronization

/// SIGTERM/SIGINT handling: the first signal calls `stop`, a second one exits at once.
final class Signals {
    private let sources: [any DispatchSourceSignal]

    private init(_ sources: [any DispatchSourceSignal]) { self.sources = sources }

    /// Installs the handlers.
    static func onTermination(_ stop: @escaping @Sendable () -> Void) -> Signals {
        let count = LockedCounter()
        let sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if count.increment() == 1 {
                    Log.standardError("stopping: finishing the tasks in hand (signal again to exit at once)")
                    stop()
                } else {
                    exit(128 + number)
                }
            }
            source.resume()
            return source
        }
        return Signals(sources)
    }

    /// Removes the handlers.
    func cancel() { sources.forEach { $0.cancel() } }
}

/// A counter for signal handlers.
private final class LockedCounter: Sendable {
    private let value = Mutex(0)
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}
