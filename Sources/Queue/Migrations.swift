/// The schema migrations, `sql/NNNN_name.sql`, embedded in the binary at build time (Sources/Queue/Migrations
/// is a link to sql/). Migration N brings `PRAGMA user_version` from N-1 to N.
enum Migrations {
    /// Every migration in order; the index + 1 is the version it produces.
    static let all: [(name: String, sql: String)] = [
        ("0001_init.sql", String(decoding: PackageResources._001_init_sql, as: UTF8.self)),
        ("0002_planning.sql", String(decoding: PackageResources._002_planning_sql, as: UTF8.self)),
        ("0003_throttle.sql", String(decoding: PackageResources._003_throttle_sql, as: UTF8.self)),
        ("0004_relayouts.sql", String(decoding: PackageResources._004_relayouts_sql, as: UTF8.self)),
    ]

    /// The schema version this build writes.
    static var latest: Int { all.count }

    /// Brings the database to `latest` inside one transaction; refuses a database from a newer build.
    /// https://www.sqlite.org/pragma.html#pragma_user_version
    static func apply(to connection: Connection) throws {
        guard try version(of: connection) < latest else { return }
        try connection.writeTransaction {
            // Re-read under the write lock: another process may have migrated meanwhile.
            let version = try version(of: connection)
            for index in version..<latest {
                try connection.execute(all[index].sql)
                try connection.execute("PRAGMA user_version = \(index + 1)")
            }
        }
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
