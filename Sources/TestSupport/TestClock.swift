import Foundation

/// The one clock tests move by hand: a wall-clock date for the code that takes `() -> Date` (the queue, the credential
/// refresh), moved only by `advance`.
public final class TestClock: @unchecked Sendable {
    // @unchecked: `current` is only touched under `lock`.
    private let lock = NSLock()
    private var current: Date

    /// A clock that reads `start` (by default a fixed moment in 2027) until it is moved.
    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = start }

    /// The time it reads now.
    public var date: Date { lock.withLock { current } }
    /// The clock as the code under test takes it.
    public var function: @Sendable () -> Date { { self.date } }

    /// Moves the clock forward by `duration`.
    public func advance(_ duration: Duration) {
        precondition(duration >= .zero, "a clock only moves forward")
        lock.withLock { current += Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }
    }
}
