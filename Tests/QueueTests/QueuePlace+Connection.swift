@testable import Queue
import TestSupport

extension QueuePlace {
    /// A connection of its own to the PostgreSQL schema (nil for SQLite), for what no queue method does.
    func connection() throws -> PGConnection? {
        try conninfo.map { try PGConnection(conninfo: $0, location: "test") }
    }
}
