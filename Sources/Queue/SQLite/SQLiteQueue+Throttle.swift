import Foundation

extension SQLiteQueue {
    /// The fleet's shared backoff as last raised; nil when S3 never throttled this queue's processes.
    public func throttle() async throws -> FleetThrottle? {
        try await perform(Self.readThrottle)
    }

    /// Raises the fleet's backoff after a SlowDown, in one write transaction so concurrent raises count once.
    public func raiseThrottle() async throws -> FleetThrottle {
        let now = QueueTime.date(now())
        return try await perform { db in
            try db.writeTransaction {
                let current = try Self.readThrottle(db) ?? FleetThrottle(level: 0, raisedAt: .distantPast)
                let raised = current.raised(at: now)
                if raised != current {
                    _ = try db.prepare("""
                        INSERT INTO throttle (id, level, raised_at) VALUES (1, ?1, ?2)
                        ON CONFLICT (id) DO UPDATE SET level = excluded.level, raised_at = excluded.raised_at
                        """).bind(.integer(Int64(raised.level)), .integer(QueueTime.milliseconds(raised.raisedAt))).run()
                }
                return raised
            }
        }
    }

    private static func readThrottle(_ db: Connection) throws -> FleetThrottle? {
        try db.prepare("SELECT level, raised_at FROM throttle WHERE id = 1").rows {
            FleetThrottle(level: Int($0.int64(0)), raisedAt: QueueTime.date($0.int64(1)))
        }.first
    }
}
