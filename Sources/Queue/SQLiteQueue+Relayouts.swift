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

    /// The relayout recorded for `key` of `pair`, if any.
    public func relayout(pair: String, key: String) async throws -> RelayoutRecord? {
        try await perform { db in
            try db.prepare("SELECT size, source_etag, backup_etag FROM relayouts WHERE pair = ?1 AND key = ?2")
                .bind(.text(pair), .text(key))
                .rows { RelayoutRecord(pair: pair, key: key, size: $0.int64(0), sourceETag: $0.text(1), backupETag: $0.text(2)) }
                .first
        }
    }
}
