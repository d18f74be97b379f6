import Foundation

/// The queue's times as both schemas store them: unix milliseconds.
enum QueueTime {
    /// `date` in unix milliseconds, rounded.
    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    /// `duration` in whole milliseconds.
    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    /// The moment `milliseconds` after the epoch.
    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    /// Tasks deleted per transaction while pruning, so other processes (or hosts) never wait long.
    static let pruneBatch = 5_000
}
