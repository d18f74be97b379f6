import Foundation

/// The backoff every process on a queue shares: a level raised by one each time S3 throttles any of them (at most
/// once per `raiseGap`, so one burst of SlowDowns counts once), falling by one per `decay` without a new one.
/// At level L > 0 each process starts at most one request per `interval(L)`.
public struct FleetThrottle: Sendable, Equatable {
    /// The level when last raised.
    public var level: Int
    /// When it was last raised.
    public var raisedAt: Date

    /// The highest level: one request per 0.64 s per process.
    public static let maxLevel = 6
    /// How long the level holds before falling by one.
    public static let decay: TimeInterval = 2
    /// Throttles closer together than this raise the level once.
    public static let raiseGap: TimeInterval = 0.5

    /// A state from its parts.
    public init(level: Int, raisedAt: Date) {
        self.level = level
        self.raisedAt = raisedAt
    }

    /// The level in force at `now`, after decay.
    public func level(at now: Date) -> Int {
        let steps = Int(max(0, now.timeIntervalSince(raisedAt)) / Self.decay)
        return max(0, level - steps)
    }

    /// The state after a throttle seen at `now`.
    public func raised(at now: Date) -> FleetThrottle {
        guard now.timeIntervalSince(raisedAt) >= Self.raiseGap else { return self }
        return FleetThrottle(level: min(Self.maxLevel, level(at: now) + 1), raisedAt: now)
    }

    /// The least time between two request starts of one process at `level`: none at 0, then 20 ms doubling.
    public static func interval(level: Int) -> Duration {
        level <= 0 ? .zero : .milliseconds(20 << (min(level, maxLevel) - 1))
    }
}
