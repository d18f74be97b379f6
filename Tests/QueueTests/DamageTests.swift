import CSQLite
import Foundation
@testable import Queue
import TestSupport
import Testing

/// What the world does to a database file: damage, read-only places, a full disk. Each ends in a clear error,
/// and what was committed before stays.
@Suite("Queue on damaged or hostile storage", .timeLimit(.minutes(2)))
struct DamageTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    private func run(_ queue: SQLiteQueue) async throws -> RunID {
        try await queue.createRun(kind: "backup", source: "s3://a", destination: "s3://b", parameters: "{}")
    }

    @Test func aFileThatIsNotADatabaseIsRefused() throws {
        let path = directory.file("garbage.db")
        try Data(repeating: 0x5A, count: 8_192).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: QueueError.self) { try SQLiteQueue(path: path) }
        #expect(error?.kind == .sqlite(code: SQLITE_NOTADB))
        #expect(error?.description.contains("damaged or not an s3backup queue") == true)
        #expect(error?.description.contains(path) == true)
    }

    @Test func aTruncatedDatabaseIsAnErrorNotAnEmptyQueue() async throws {
        let path = directory.file("truncated.db")
        do {
            let queue = try SQLiteQueue(path: path)
            let run = try await run(queue)
            try await queue.enqueue((0..<4_000).map { NewTask(kind: "copy", uniqueKey: "\($0)", payload: [UInt8](repeating: 1, count: 500)) }, run: run)
            _ = try await queue.prune(finishedBefore: .distantPast)  // checkpoints the WAL into the file
        }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber).intValue
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(size / 2))
        try handle.close()
        let error = await #expect(throws: QueueError.self) {
            let queue = try SQLiteQueue(path: path)
            _ = try await queue.claim(worker: "w", limit: 10_000)
        }
        #expect(error?.description.contains("damaged") == true, "\(String(describing: error))")
    }

    @Test func aReadOnlyDirectoryIsAClearError() async throws {
        let place = try ReadOnlyPlace(directory.file("ro"))
        defer { place.remove() }
        let error = #expect(throws: QueueError.self) { try SQLiteQueue(path: place.path + "/queue.db") }
        #expect(error?.description.contains("writable") == true || error?.description.contains("read-only") == true,
                "\(String(describing: error))")
    }

    @Test func aFullDiskIsAClearErrorAndKeepsWhatWasCommitted() async throws {
        let place = try SmallDisk(directory.file("small"), bytes: 512 * 1024)
        defer { place.remove() }
        let queue = try SQLiteQueue(path: place.path + "/queue.db")
        let run = try await run(queue)
        try await place.limit(queue)
        var committed = 0
        let error = await #expect(throws: QueueError.self) {
            for batch in 0..<1_000 {
                let added = try await queue.enqueue((0..<100).map {
                    NewTask(kind: "copy", uniqueKey: "\(batch)-\($0)", payload: [UInt8](repeating: 2, count: 1_000))
                }, run: run)
                committed += added
            }
        }
        #expect(error?.kind == .sqlite(code: SQLITE_FULL))
        #expect(error?.description.contains("disk is full") == true)
        #expect(committed > 0)
        #expect(try await queue.runs(limit: 1).first?.tasks["ready"] == committed, "every committed task is still there")
    }
}

/// A directory nobody may write: a read-only tmpfs where the test runs as root (as CI does; root ignores
/// permission bits), else a directory without write permission.
struct ReadOnlyPlace {
    let path: String
    let mounted: Bool
    init(_ path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if getuid() == 0 {
            mounted = shellRun("mount -t tmpfs -o ro,size=64k tmpfs '\(path)'")
            if !mounted { throw HarnessError("running as root but cannot mount a tmpfs at \(path)") }
        } else {
            mounted = false
            chmod(path, 0o555)
        }
    }
    func remove() {
        if mounted { _ = shellRun("umount '\(path)'") } else { chmod(path, 0o755) }
    }
}

/// A disk that fills: a small tmpfs where the test runs as root, else SQLite's page limit on the file (an
/// injected write error that SQLite reports exactly as a full disk).
struct SmallDisk {
    let path: String
    let mounted: Bool
    init(_ path: String, bytes: Int) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        mounted = getuid() == 0 && shellRun("mount -t tmpfs -o size=\(bytes) tmpfs '\(path)'")
        if getuid() == 0 && !mounted { throw HarnessError("running as root but cannot mount a tmpfs at \(path)") }
    }
    func limit(_ queue: SQLiteQueue) async throws {
        guard !mounted else { return }
        try await queue.perform { try $0.execute("PRAGMA max_page_count = 128") }
    }
    func remove() { if mounted { _ = shellRun("umount '\(path)'") } }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
