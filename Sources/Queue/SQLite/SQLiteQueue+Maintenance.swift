import Foundation

extension SQLiteQueue {
    /// Tasks deleted per transaction while pruning, so other processes are never locked out for long.
    static let pruneBatch = 5_000

    /// Deletes finished and cancelled runs older than `cutoff` with their tasks (in batches), returns the freed
    /// pages to the file system (`incremental_vacuum`) and truncates the write-ahead log.
    /// https://www.sqlite.org/pragma.html#pragma_incremental_vacuum
    public func prune(finishedBefore cutoff: Date) async throws -> Int {
        let cutoff = Int64(cutoff.timeIntervalSince1970 * 1000)
        return try await perform { db in
            let expired = try db.prepare("""
                SELECT id FROM runs WHERE state IN ('finished', 'cancelled') AND finished_at < ?1
                """).bind(.integer(cutoff)).rows { $0.int64(0) }
            // Each delete re-checks the run: `retry` may reopen it while pruning goes on.
            let stillExpired = "(SELECT 1 FROM runs WHERE id = ?1 AND state IN ('finished', 'cancelled') AND finished_at < ?2)"
            let deleteTasks = try db.prepare("""
                DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE run_id = ?1 LIMIT \(QueueTime.pruneBatch))
                AND EXISTS \(stillExpired)
                """)
            let deleteRun = try db.prepare("DELETE FROM runs WHERE id = ?1 AND EXISTS \(stillExpired)")
            for run in expired {
                var more = true
                while more {
                    more = try db.writeTransaction {
                        try deleteTasks.bind(.integer(run), .integer(cutoff)).run()
                        return db.changes == QueueTime.pruneBatch
                    }
                }
                try db.writeTransaction { try deleteRun.bind(.integer(run), .integer(cutoff)).run() }
            }
            try db.execute("PRAGMA incremental_vacuum")
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return expired.count
        }
    }

    /// The database file.
    public var location: String { path }

    /// Bytes the database file and its write-ahead log take on disk now.
    public func storedBytes() async throws -> Int64 {
        let sizes = try fileSizes()
        return sizes.database + sizes.wal
    }

    /// Bytes the database file and its write-ahead log take on disk now, each.
    public func fileSizes() throws -> (database: Int64, wal: Int64) {
        func size(_ path: String) -> Int64 {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return (size(path), size(path + "-wal"))
    }
}
