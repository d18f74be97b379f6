import Foundation
import S3

/// The one clock tests move by hand: a wall-clock date for the code that takes `() -> Date` (the queue, the credential
/// refresh), moved only by `advance`.
public final class TestClock: Sendable {
    private let current: LockedBox<Date>

    /// A clock that reads `start` (by default a fixed moment in 2027) until it is moved.
    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = LockedBox(start) }

    /// The time it reads now.
    public var date: Date { current.value }
    /// The clock as the code under test takes it.
    public var function: @Sendable () -> Date { { self.date } }

    /// Moves the clock forward by `duration`.
    public func advance(_ duration: Duration) {
        precondition(duration >= .zero, "a clock only moves forward")
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        current.mutate { $0 += seconds }
    }
}
