import Foundation
@testable import Queue
import TestSupport
import Testing

/// libpq through `PGConnection`, against a throwaway cluster of Debian's PostgreSQL.
@Suite("a PostgreSQL connection", .timeLimit(.minutes(2)))
struct PGConnectionTests {
    let server: PostgresServer

    init() throws { server = try PostgresServer() }

    @Test func parametersTravelApartFromTheSQLAndComeBackExact() throws {
        let db = try PGConnection(conninfo: server.conninfo(), location: "test")
        try db.execute("CREATE TABLE t (k text PRIMARY KEY, n bigint, b bytea, x text)")
        let key = "clients/007/caf\u{E9} 'quoted'; DROP TABLE t; --"
        let bytes: [UInt8] = [0, 1, 0x5C, 0x78, 0xFF, 0]
        let inserted = try db.execute("INSERT INTO t (k, n, b, x) VALUES ($1, $2, $3, $4)",
                                      [.text(key), .integer(Int64.min), .bytes(bytes), .null])
        #expect(inserted.changed == 1)
        let row = try db.execute("SELECT k, n, b, x FROM t WHERE k = $1", [.text(key)])
        #expect(row.rows == 1)
        #expect(row.text(0, 0) == key && row.integer(0, 1) == Int64.min && row.bytes(0, 2) == bytes)
        #expect(row.isNull(0, 3) && row.text(0, 3) == nil)
        #expect(try db.execute("SELECT count(*) FROM t").integer(0, 0) == 1, "the table is still there")
    }

    @Test func refusalsCarryTheirSQLState() throws {
        let db = try PGConnection(conninfo: server.conninfo(), location: "test")
        try db.execute("CREATE TABLE u (k text PRIMARY KEY)")
        try db.execute("INSERT INTO u VALUES ($1)", [.text("a")])
        let duplicate = #expect(throws: QueueError.self) { try db.execute("INSERT INTO u VALUES ($1)", [.text("a")]) }
        #expect(duplicate?.kind == .postgres(state: "23505") && duplicate?.category == .failed, "\(String(describing: duplicate))")
        let syntax = #expect(throws: QueueError.self) { try db.execute("SELEC 1") }
        #expect(syntax?.kind == .postgres(state: "42601") && syntax?.sql == "SELEC 1")
        // A transaction that throws is rolled back.
        #expect(throws: QueueError.self) {
            try db.transaction {
                try db.execute("INSERT INTO u VALUES ($1)", [.text("b")])
                try db.execute("INSERT INTO u VALUES ($1)", [.text("a")])
            }
        }
        #expect(try db.execute("SELECT count(*) FROM u").integer(0, 0) == 1)
        let missing = #expect(throws: QueueError.self) { try PGConnection(conninfo: server.conninfo(database: "nope"), location: "test") }
        #expect(missing?.message.contains("\"nope\" does not exist") == true, "\(String(describing: missing))")
    }

    /// A server restart is a normal event: the next statement fails as unreachable, and the connection comes back.
    @Test func aConnectionLostWithARestartComesBack() throws {
        let db = try PGConnection(conninfo: server.conninfo(), location: "test")
        #expect(try db.execute("SELECT 1").integer(0, 0) == 1)
        server.stop()
        let lost = #expect(throws: QueueError.self) { try db.execute("SELECT 1") }
        #expect(lost?.category == .unreachable, "\(String(describing: lost))")
        #expect(!db.isConnected)
        #expect(throws: QueueError.self) { try db.reconnect() }
        try server.start()
        try db.reconnect()
        #expect(try db.execute("SELECT 2").integer(0, 0) == 2)
    }

    /// The README's least privilege: a role that owns only its schema runs the queue there, and without one it is
    /// told what to create.
    @Test func aRoleThatOwnsOnlyItsSchemaRunsTheQueue() async throws {
        let admin = try PGConnection(conninfo: server.conninfo(), location: "admin")
        for statement in ["CREATE ROLE s3backup LOGIN", "CREATE DATABASE s3backup", "REVOKE ALL ON DATABASE s3backup FROM PUBLIC",
                          "GRANT CONNECT ON DATABASE s3backup TO s3backup"] { try admin.script(statement) }
        let database = try PGConnection(conninfo: server.conninfo(database: "s3backup"), location: "admin")
        try database.script("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        let role = "host=\(server.directory) port=\(server.port) dbname=s3backup user=s3backup"
        let refused = #expect(throws: QueueError.self) { try PostgresQueue(conninfo: role, location: "fleet") }
        #expect(refused?.category == .configuration && refused?.description.contains("CREATE SCHEMA") == true,
                "\(String(describing: refused))")

        try database.script("CREATE SCHEMA s3backup AUTHORIZATION s3backup")
        let queue = try PostgresQueue(conninfo: role, location: "fleet")
        let run = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        try await queue.enqueue(tasks(3), run: run)
        #expect(try await queue.complete(queue.claim(worker: "w", limit: 3).map { ($0.lease, nil) }).isEmpty)
        let tables = try database.execute("SELECT schemaname, count(*) FROM pg_tables WHERE tableowner = 's3backup' GROUP BY 1")
        #expect(tables.rows == 1 && tables.text(0, 0) == "s3backup" && tables.integer(0, 1) == 10)
        try admin.script("CREATE ROLE stranger LOGIN")
        let stranger = #expect(throws: QueueError.self) {
            try PostgresQueue(conninfo: "host=\(server.directory) port=\(server.port) dbname=s3backup user=stranger", location: "fleet")
        }
        #expect(stranger?.message.contains("permission denied for database") == true, "\(String(describing: stranger))")
    }
}
