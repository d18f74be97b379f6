import Foundation

extension SQLiteQueue {
    /// Completes one task and applies `catalog` in the same transaction; false when the lease was lost.
    public func complete(_ lease: Lease, result: [UInt8]?, catalog: CatalogChanges) async throws -> Bool {
        let now = now()
        return try await perform { db in
            try db.writeTransaction {
                try db.prepare("""
                    UPDATE tasks SET state = 'succeeded', result = ?5, finished_at = ?4, updated_at = ?4,
                        lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = NULL
                    WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND lease_token = ?3
                    """).bind(.integer(lease.task), .text(lease.owner), .integer(lease.token), .integer(now),
                              result.map { .blob($0) } ?? .null).run()
                guard db.changes == 1 else { return false }
                try Self.apply(catalog, in: db, at: now)
                return true
            }
        }
    }

    /// Applies `catalog` while `lease` is held; throws `leaseLost` when it is not.
    public func record(_ catalog: CatalogChanges, holding lease: Lease) async throws {
        guard !catalog.isEmpty else { return }
        let now = now()
        try await perform { db in
            try db.writeTransaction {
                let held = try db.prepare("""
                    SELECT 1 FROM tasks WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND lease_token = ?3
                    """).bind(.integer(lease.task), .text(lease.owner), .integer(lease.token)).rows { _ in true }
                guard !held.isEmpty else { throw QueueError.lost(lease, path: db.path) }
                try Self.apply(catalog, in: db, at: now)
            }
        }
    }

    /// Writes catalog rows outside any task.
    public func record(_ catalog: CatalogChanges) async throws {
        guard !catalog.isEmpty else { return }
        let now = now()
        try await perform { db in try db.writeTransaction { try Self.apply(catalog, in: db, at: now) } }
    }

    /// Up to `limit` rows of `pair` from `key` on, in key byte order (TEXT compares as memcmp of its UTF-8, S3's
    /// order: https://www.sqlite.org/datatype3.html#collation), read off the primary key.
    public func catalog(pair: String, from key: String, limit: Int) async throws -> [CatalogEntry] {
        precondition(limit >= 1, "a window of at least one row")
        return try await perform { db in
            try db.prepare("""
                SELECT \(Self.catalogColumns) FROM catalog WHERE pair = ?1 AND key >= ?2 ORDER BY key LIMIT ?3
                """).bind(.text(pair), .text(key), .integer(Int64(limit))).rows { Self.entry(pair, $0) }
        }
    }

    /// Up to `limit` rows of `pair` after `key` whose lock is due before `before` or unknown, off the primary key.
    public func locksDue(pair: String, before: Date, after key: String?, limit: Int) async throws -> [CatalogEntry] {
        precondition(limit >= 1, "a window of at least one row")
        return try await perform { db in
            try db.prepare("""
                SELECT \(Self.catalogColumns) FROM catalog
                WHERE pair = ?1 AND key > ?2 AND (retain_until IS NULL OR retain_until < ?3) ORDER BY key LIMIT ?4
                """).bind(.text(pair), .text(key ?? ""), .integer(QueueTime.milliseconds(before)), .integer(Int64(limit)))
                .rows { Self.entry(pair, $0) }
        }
    }

    /// Up to `limit` delete markers of `pair` after `marker`, in key byte order and then by version id, off the
    /// primary key (a row value compares column by column: https://www.sqlite.org/rowvalue.html).
    public func deleteMarkers(pair: String, after marker: (key: String, version: String)?, limit: Int) async throws
        -> [(key: String, version: String)] {
        precondition(limit >= 1, "a window of at least one row")
        return try await perform { db in
            try db.prepare("""
                SELECT key, version FROM delete_markers WHERE pair = ?1 AND (key, version) > (?2, ?3) ORDER BY key, version LIMIT ?4
                """).bind(.text(pair), .text(marker?.key ?? ""), .text(marker?.version ?? ""), .integer(Int64(limit)))
                .rows { ($0.text(0), $0.text(1)) }
        }
    }

    /// When migration 9 ran on this queue.
    public func deleteMarkersRecordedSince() async throws -> Date {
        try await perform { db in QueueTime.date(try db.integer("SELECT since FROM delete_markers_since")) }
    }

    /// The columns `entry` reads, in its order.
    static let catalogColumns = "key, size, source_etag, source_version, source_checksum, backup_etag, backup_version, rule, retain_until"

    /// A row of `catalogColumns`.
    private static func entry(_ pair: String, _ row: Statement) -> CatalogEntry {
        CatalogEntry(pair: pair, key: row.text(0), size: row.int64(1), sourceETag: row.text(2), sourceVersion: row.optionalText(3),
                     sourceChecksum: row.optionalText(4), backupETag: row.text(5), backupVersion: row.optionalText(6),
                     rule: CatalogEntry.Rule(rawValue: row.text(7)) ?? .copied, retainUntil: row.optionalInt64(8).map(QueueTime.date))
    }

    /// Writes and removes rows on a connection inside a write transaction.
    static func apply(_ catalog: CatalogChanges, in db: Connection, at now: Int64) throws {
        if !catalog.recorded.isEmpty {
            let upsert = try db.prepare("""
                INSERT INTO catalog (pair, key, size, source_etag, source_version, source_checksum, backup_etag, backup_version,
                                     rule, recorded_at, retain_until)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                ON CONFLICT (pair, key) DO UPDATE SET size = excluded.size, source_etag = excluded.source_etag,
                    source_version = excluded.source_version, source_checksum = excluded.source_checksum,
                    backup_etag = excluded.backup_etag, backup_version = excluded.backup_version, rule = excluded.rule,
                    recorded_at = excluded.recorded_at, retain_until = excluded.retain_until
                """)
            func optional(_ text: String?) -> Statement.Value { text.map { .text($0) } ?? .null }
            for entry in catalog.recorded {
                try upsert.bind(.text(catalog.pair), .text(entry.key), .integer(entry.size), .text(entry.sourceETag),
                                optional(entry.sourceVersion), optional(entry.sourceChecksum), .text(entry.backupETag),
                                optional(entry.backupVersion), .text(entry.rule.rawValue), .integer(now),
                                entry.retainUntil.map { .integer(QueueTime.milliseconds($0)) } ?? .null).run()
            }
        }
        if !catalog.extended.isEmpty {
            // Only ever later, and only on the version locked: a row a copy replaced meanwhile keeps its own date.
            let extend = try db.prepare("""
                UPDATE catalog SET retain_until = ?4
                WHERE pair = ?1 AND key = ?2 AND backup_version IS ?3 AND (retain_until IS NULL OR retain_until < ?4)
                """)
            for change in catalog.extended {
                try extend.bind(.text(catalog.pair), .text(change.key), change.backupVersion.map { .text($0) } ?? .null,
                                .integer(QueueTime.milliseconds(change.retainUntil))).run()
            }
        }
        if !catalog.markers.isEmpty {
            let insert = try db.prepare("INSERT INTO delete_markers (pair, key, version, placed_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
            for marker in catalog.markers {
                try insert.bind(.text(catalog.pair), .text(marker.key), .text(marker.version), .integer(now)).run()
            }
        }
        if !catalog.removed.isEmpty {
            let delete = try db.prepare("DELETE FROM catalog WHERE pair = ?1 AND key = ?2")
            for key in catalog.removed { try delete.bind(.text(catalog.pair), .text(key)).run() }
        }
    }
}
