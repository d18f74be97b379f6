/// The schema migrations on PostgreSQL, `sql/postgres/NNNN_name.sql`, embedded in the binary at build time
/// (Sources/Queue/Migrations is a link to sql/). Migration N brings `schema_version` from N-1 to N.
enum PostgresMigrations {
    /// Every migration in order; the index + 1 is the version it produces.
    static let all: [(name: String, sql: String)] = [
        ("0001_queue.sql", String(decoding: PackageResources._001_queue_sql, as: UTF8.self)),
        ("0002_requests.sql", String(decoding: PackageResources._002_requests_sql, as: UTF8.self)),
        ("0003_locks.sql", String(decoding: PackageResources._003_locks_sql, as: UTF8.self)),
    ]

    /// The schema version this build writes.
    static var latest: Int { all.count }

    /// The advisory lock every s3backup takes while migrating, so the first starts of many hosts take turns.
    private static let lockKey: Int64 = 0x5333_6261_636b_7570  // "S3backup"

    /// Brings the queue's schema to `latest` in one transaction, hosts taking turns on a transaction-scoped advisory
    /// lock (released by the COMMIT, so it needs no session to outlive); refuses a schema from a newer build, and,
    /// unless `create`, a database without a queue.
    /// https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
    static func apply(to db: PGConnection, create: Bool) throws {
        try db.transaction {
            try db.execute("SELECT pg_advisory_xact_lock($1::bigint)", [.integer(lockKey)])
            // Keys are UTF-8 and compare as bytes; another server encoding would refuse some or reorder them.
            let encoding = try db.execute("SELECT current_setting('server_encoding')").text(0, 0) ?? "?"
            guard encoding == "UTF8" else {
                throw QueueError(.postgres(state: "22021"), "the database's encoding is \(encoding): create it with "
                                     + "ENCODING 'UTF8' (README, \"Past one host\")", path: db.location)
            }
            if try db.execute("SELECT to_regclass('schema_version') IS NOT NULL").text(0, 0) != "t" {
                guard create else {
                    throw QueueError(.notFound, "there is no queue in this database (schema "
                                         + "\(try db.execute("SELECT current_schema()").text(0, 0) ?? "none")): pass the --db "
                                         + "the planner used", path: db.location)
                }
                do {
                    try db.execute("CREATE TABLE schema_version (version integer NOT NULL)")
                } catch let error as QueueError where [.postgres(state: "42501"), .postgres(state: "3F000")].contains(error.kind) {
                    throw QueueError(error.kind, "\(error.message): the queue's role needs a schema of its own to create its "
                                         + "tables in, first in its search_path (CREATE SCHEMA s3backup AUTHORIZATION s3backup; "
                                         + "README, \"Past one host\")", path: db.location, sql: error.sql)
                }
                try db.execute("INSERT INTO schema_version VALUES (0)")
            }
            let current = Int(try db.execute("SELECT version FROM schema_version").integer(0, 0) ?? 0)
            if current > latest {
                throw QueueError(.newerSchema(found: current, supported: latest),
                                 "written by a newer s3backup (schema \(current); this one knows up to \(latest)): "
                                     + "upgrade s3backup, or point --db at another database", path: db.location)
            }
            for index in current..<latest {
                try db.script(all[index].sql)
                try db.execute("UPDATE schema_version SET version = $1::integer", [.integer(Int64(index + 1))])
            }
        }
    }
}
