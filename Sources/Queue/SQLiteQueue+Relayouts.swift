import Foundation

extension SQLiteQueue {
    /// Remembers a copy made with another part layout than its source's, replacing the key's earlier record.
    public func recordRelayout(_ record: RelayoutRecord) async throws {
        let now = now()
        try await perform { db in
            try db.writeTransaction {
                _ = try db.prepare("""
                    INSERT INTO relayouts (pair, key, size, source_etag, backup_etag, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                    ON CONFLICT (pair, key) DO UPDATE SET size = excluded.size, source_etag = excluded.source_etag,
                        backup_etag = excluded.backup_etag, recorded_at = excluded.recorded_at
                    """).bind(.text(record.pair), .text(record.key), .integer(record.size), .text(record.sourceETag),
                              .text(record.backupETag), .integer(now)).run()
            }
        }
    }

    /// Up to `limit` records of `pair` from `key` on, in key byte order (TEXT compares as memcmp of its UTF-8, S3's
    /// order: https://www.sqlite.org/datatype3.html#collation), read off the primary key.
    public func relayouts(pair: String, from key: String, limit: Int) async throws -> [RelayoutRecord] {
        precondition(limit >= 1, "a window of at least one record")
        return try await perform { db in
            try db.prepare("""
                SELECT key, size, source_etag, backup_etag FROM relayouts WHERE pair = ?1 AND key >= ?2 ORDER BY key LIMIT ?3
                """).bind(.text(pair), .text(key), .integer(Int64(limit)))
                .rows { RelayoutRecord(pair: pair, key: $0.text(0), size: $0.int64(1), sourceETag: $0.text(2), backupETag: $0.text(3)) }
        }
    }
}
