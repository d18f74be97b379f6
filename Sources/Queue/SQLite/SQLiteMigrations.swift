import CSQLite

/// The schema migrations, `sql/sqlite/NNNN_name.sql`, embedded in the binary at build time (Sources/Queue/Migrations
/// is a link to sql/). Migration N brings `PRAGMA user_version` from N-1 to N.
enum SQLiteMigrations {
    /// Every migration in order; the index + 1 is the version it produces.
    static let all: [(name: String, sql: String)] = [
        ("0001_init.sql", String(decoding: PackageResources._001_init_sql, as: UTF8.self)),
        ("0002_planning.sql", String(decoding: PackageResources._002_planning_sql, as: UTF8.self)),
        ("0003_throttle.sql", String(decoding: PackageResources._003_throttle_sql, as: UTF8.self)),
        ("0004_relayouts.sql", String(decoding: PackageResources._004_relayouts_sql, as: UTF8.self)),
        ("0005_books.sql", String(decoding: PackageResources._005_books_sql, as: UTF8.self)),
        ("0006_retrievals.sql", String(decoding: PackageResources._006_retrievals_sql, as: UTF8.self)),
        ("0007_catalog.sql", String(decoding: PackageResources._007_catalog_sql, as: UTF8.self)),
        ("0008_requests.sql", String(decoding: PackageResources._008_requests_sql, as: UTF8.self)),
        ("0009_locks.sql", String(decoding: PackageResources._009_locks_sql, as: UTF8.self)),
    ]

    /// The schema version this build writes.
    static var latest: Int { all.count }

    /// Brings the database to `latest` inside one transaction; refuses a database from a newer build.
    /// https://www.sqlite.org/pragma.html#pragma_user_version
    ///
    /// Foreign keys are off while migrating and checked before the commit, as a table rebuild needs
    /// (https://www.sqlite.org/lang_altertable.html#otheralter): with them on, dropping the old table would first
    /// delete its rows and cascade into every table that references it. The pragma is a no-op inside a
    /// transaction, so it is set around it. https://www.sqlite.org/pragma.html#pragma_foreign_keys
    static func apply(to connection: Connection) throws {
        guard try version(of: connection) < latest else { return }
        let enforced = try connection.integer("PRAGMA foreign_keys") == 1
        try connection.execute("PRAGMA foreign_keys = OFF")
        do {
            try connection.writeTransaction {
                // Re-read under the write lock: another process may have migrated meanwhile.
                let version = try version(of: connection)
                for index in version..<latest {
                    try connection.execute(all[index].sql)
                    try connection.execute("PRAGMA user_version = \(index + 1)")
                }
                try checkForeignKeys(connection)
            }
        } catch {
            if enforced { try? connection.execute("PRAGMA foreign_keys = ON") }
            throw error
        }
        if enforced { try connection.execute("PRAGMA foreign_keys = ON") }
    }

    /// Throws, so the migration rolls back, when a row refers to one that does not exist.
    /// https://www.sqlite.org/pragma.html#pragma_foreign_key_check
    private static func checkForeignKeys(_ connection: Connection) throws {
        let violations = try connection.prepare("PRAGMA foreign_key_check").rows { row in
            "\(row.text(0)) row \(row.optionalInt64(1).map(String.init) ?? "?") refers to a missing \(row.text(2)) row"
        }
        guard let first = violations.first else { return }
        throw QueueError(.sqlite(code: SQLITE_CONSTRAINT),
                         "migrating to schema \(latest) found \(violations.count) broken reference(s), e.g. \(first); "
                             + "nothing was changed: go on with the previous s3backup on this file, or move the file aside "
                             + "and plan again (S3 copies are idempotent)", path: connection.path, sql: "PRAGMA foreign_key_check")
    }

    /// The database's schema version; a newer one than this build knows is an error.
    private static func version(of connection: Connection) throws -> Int {
        let current = Int(try connection.integer("PRAGMA user_version"))
        if current > latest {
            throw QueueError(.newerSchema(found: current, supported: latest),
                             "written by a newer s3backup (schema \(current); this one knows up to \(latest)): "
                                 + "upgrade s3backup, or point --db at another file", path: connection.path)
        }
        return current
    }
}
