import Foundation

/// The one clock tests move by hand: a wall-clock date (for the code that takes `() -> Date`, such as the queue and
/// the credential refresh) and a monotonic instant (a `Clock`, for the code that sleeps and measures, such as the
/// fleet pacer), both moved together by `advance`. A sleep returns once the clock has been moved to its deadline.
public final class TestClock: Clock, @unchecked Sendable {
    // @unchecked: `elapsed` and `sleepers` are only touched under `lock`.
    private let lock = NSLock()
    private let startDate: Date
    private let startInstant = ContinuousClock.now
    private var elapsed: Duration = .zero
    private var sleepers: [(deadline: ContinuousClock.Instant, resume: CheckedContinuation<Void, Never>)] = []

    /// A clock that reads `start` (by default a fixed moment in 2027) until it is moved.
    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { startDate = start }

    /// The monotonic now.
    public var now: ContinuousClock.Instant { lock.withLock { startInstant + elapsed } }
    /// The wall-clock now.
    public var date: Date { lock.withLock { startDate + elapsed.timeInterval } }
    /// The wall clock as the code under test takes it.
    public var function: @Sendable () -> Date { { self.date } }
    /// Moves are exact.
    public var minimumResolution: Duration { .zero }

    /// Moves both readings forward by `duration`, waking every sleep whose deadline has come.
    public func advance(_ duration: Duration) {
        precondition(duration >= .zero, "a clock only moves forward")
        let due = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            elapsed += duration
            let now = startInstant + elapsed
            let due = sleepers.filter { $0.deadline <= now }.map(\.resume)
            sleepers.removeAll { $0.deadline <= now }
            return due
        }
        due.forEach { $0.resume() }
    }

    /// Sleeps until the clock has been moved to `deadline`.
    public func sleep(until deadline: ContinuousClock.Instant, tolerance: Duration?) async throws {
        await withCheckedContinuation { continuation in
            let ready = lock.withLock { () -> Bool in
                if startInstant + elapsed >= deadline { return true }
                sleepers.append((deadline, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// How many sleeps wait for the clock to move.
    public var sleeping: Int { lock.withLock { sleepers.count } }
}

extension Duration {
    /// The duration in seconds.
    public var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
