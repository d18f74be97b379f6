import Foundation
@testable import Queue
import TestSupport
import Testing

@Suite("The catalog of copies", .timeLimit(.minutes(2)))
struct CatalogTests {
    let directory: TemporaryDirectory
    let pair = "s3://a -> s3://b"

    init() throws { directory = try TemporaryDirectory() }

    @Test(arguments: Backend.allCases) func aRowIsFoundByPairAndKeyAndReplacedByTheNext(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try place.open(clock: TestClock())
        let key = "clients/007/caf\u{E9} NFC/big.bin"
        #expect(try await queue.catalogEntry(pair: pair, key: key) == nil)
        let first = CatalogEntry(pair: pair, key: key, size: 10_486_994, sourceETag: "0123abcd-3", sourceVersion: "v1",
                                 sourceChecksum: "CRC64NVME:AAAAAAAAAAA=", backupETag: "4567ef01-2", backupVersion: "b1")
        try await queue.record(CatalogChanges(pair: pair, recorded: [first]))
        #expect(try await queue.catalogEntry(pair: pair, key: key) == first)
        #expect(try await queue.catalogEntry(pair: "s3://a -> s3://c", key: key) == nil, "another pair has its own rows")
        #expect(try await queue.catalogEntry(pair: pair, key: "clients/007/cafe\u{301} NFC/big.bin") == nil,
                "keys are bytes: the NFD spelling is another key")

        var second = first
        second.sourceETag = "89abcdef-3"
        second.sourceVersion = nil
        second.rule = .checksum
        try await queue.record(CatalogChanges(pair: pair, recorded: [second]))
        #expect(try await place.open(clock: TestClock()).catalogEntry(pair: pair, key: key) == second)
    }

    /// A copy task's rows are written by the transaction that completes it, and only if it does: a worker whose lease
    /// passed to another writes nothing. A delete task's keys leave the catalog the same way.
    @Test(arguments: Backend.allCases) func rowsChangeWithTheTaskThatCompletes(_ backend: Backend) async throws {
        let queue = try QueuePlace(backend).open(clock: TestClock(Date()))
        let run = try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
        try await queue.enqueue([NewTask(kind: "copy", uniqueKey: "c", payload: [0]), NewTask(kind: "delete", uniqueKey: "d", payload: [0])],
                                run: run)
        let claimed = try await queue.claim(worker: "w", limit: 2)
        let copy = try #require(claimed.first { $0.kind == "copy" }), delete = try #require(claimed.first { $0.kind == "delete" })
        let rows = ["a", "b"].map { CatalogEntry(pair: pair, key: $0, size: 1, sourceETag: "s\($0)", backupETag: "b\($0)") }
        #expect(try await queue.complete(copy.lease, result: nil, catalog: CatalogChanges(pair: pair, recorded: rows)))
        #expect(try await queue.catalog(pair: pair, from: "", limit: 10) == rows)

        let stale = Lease(task: delete.lease.task, owner: delete.lease.owner, token: delete.lease.token + 1)
        #expect(try await !queue.complete(stale, result: nil, catalog: CatalogChanges(pair: pair, removed: ["a"])))
        await #expect(throws: QueueError.self) { try await queue.record(CatalogChanges(pair: pair, removed: ["a"]), holding: stale) }
        #expect(try await queue.catalog(pair: pair, from: "", limit: 10).count == 2, "a lost lease changes nothing")

        #expect(try await queue.complete(delete.lease, result: nil, catalog: CatalogChanges(pair: pair, removed: ["a"])))
        #expect(try await queue.catalog(pair: pair, from: "", limit: 10).map(\.key) == ["b"])
        #expect(try await queue.runs(limit: 1).first?.tasks["succeeded"] == 2)

        // Pruning the run leaves its rows: the backup still holds the key.
        try await queue.setRunState(run, .finished, note: nil)
        #expect(try await queue.prune(finishedBefore: Date().addingTimeInterval(86_400)) == 1)
        #expect(try await queue.catalog(pair: pair, from: "", limit: 10).map(\.key) == ["b"])
    }

    /// The delete markers s3backup placed come back a window at a time in key byte order, then by version, each window
    /// after the last marker of the one before (a key may have more markers than a window holds); the queue knows
    /// since when it records them.
    @Test(arguments: Backend.allCases) func deleteMarkersPageInKeyOrderAfterTheLastOne(_ backend: Backend) async throws {
        let opened = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let queue = try QueuePlace(backend).open(clock: TestClock(Date()))
        let since = try await queue.deleteMarkersRecordedSince()
        #expect(since >= opened.addingTimeInterval(-1) && since <= Date())
        let markers = [("z", "m1"), ("\u{E9}t\u{E9}", "m2"), ("b", "m4"), ("b", "m3"), ("b", "m5")]
        try await queue.record(CatalogChanges(pair: pair, markers: markers.map { (key: $0.0, version: $0.1) }))
        try await queue.record(CatalogChanges(pair: "s3://a -> s3://c", markers: [(key: "b", version: "other")]))
        var read: [String] = []
        var after: (key: String, version: String)?
        while true {
            let window = try await queue.deleteMarkers(pair: pair, after: after, limit: 2)
            read += window.map { "\($0.key)@\($0.version)" }
            guard window.count == 2 else { break }
            after = window.last
        }
        #expect(read == ["b@m3", "b@m4", "b@m5", "z@m1", "\u{E9}t\u{E9}@m2"], "bytes: é (C3 A9) sorts after z (7A)")
        #expect(try await queue.deleteMarkersRecordedSince() == since, "the moment stays")
    }

    /// Schema 6's records of copies with another part layout become catalog rows.
    @Test func recordsOfOtherPartLayoutsBecomeRows() async throws {
        let path = directory.file("queue.db")
        do {
            let db = try Connection(path: path)
            for migration in SQLiteMigrations.all.prefix(6) { try db.execute(migration.sql) }
            try db.execute("PRAGMA user_version = 6")
            try db.execute("""
                INSERT INTO relayouts (pair, key, size, source_etag, backup_etag, recorded_at)
                VALUES ('\(pair)', 'big.bin', 10485760, 'aaaa-2', 'bbbb-1', 1)
                """)
        }
        let queue = try SQLiteQueue(path: path)
        #expect(try await queue.catalogEntry(pair: pair, key: "big.bin")
                == CatalogEntry(pair: pair, key: "big.bin", size: 10_485_760, sourceETag: "aaaa-2", backupETag: "bbbb-1"))
        #expect(try Connection(path: path).integer("SELECT count(*) FROM sqlite_schema WHERE name = 'relayouts'") == 0)
    }
}
