import Foundation
@testable import Queue
import S3
import SigV4
import TestSupport
import Testing

/// A primary and a backup bucket for a backup test, the command lines to back one up into the other, and the
/// equality check the tests end with.
struct BackupFixture {
    let emulator: Emulator
    let sourceClient: S3Client
    let primary: String
    let backup: String
    /// What `--db` names: a SQLite file in `directory`, or a PostgreSQL schema of the test process's cluster.
    let database: String
    let directory: URL
    /// The queue's place, when it is a PostgreSQL schema.
    private let place: QueuePlace?
    /// Extra flags for `run` (endpoints, caps).
    var flags: [String] = []
    /// The environment the binary gets.
    var environment: [String: String]

    /// Backup tests running at once: each runs a planner and two workers, and more than this many at once overload
    /// two cores and an emulator that serves one request at a time (requests reset, commands time out).
    static let running = Slots(3)
    /// This test's place among them, given back by `remove`.
    private let slot: Slot

    /// Buckets in two regions on the shared server of `provider` (or, with `backupServer`, the backup on another
    /// one, of the provider named with it); the backup is `versioned` as `setup` leaves it. Waits for a place among
    /// the backup tests running (`running`).
    init(_ label: String, provider: Provider = .moto, backupServer: (server: HelperServer, provider: Provider)? = nil,
         versioned: Bool = true, queue: Backend = .sqlite, queueServer: PostgresServer? = nil,
         emulatorServer: HelperServer? = nil, objectLock: Bool = false) async throws {
        slot = await Self.running.acquire()
        if let emulatorServer { emulator = Emulator(server: emulatorServer) } else { emulator = try await Emulator(provider) }
        sourceClient = emulator.client
        primary = try await emulator.makeBucket("\(label)-p", region: "us-east-2")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("s3backup-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        place = queue == .postgres ? try QueuePlace(.postgres, server: queueServer) : nil
        database = place?.conninfo ?? directory.appendingPathComponent("queue.db").path
        environment = isolatedEnvironment(["AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret",
                                           "AWS_ENDPOINT_URL": emulator.server.endpoint])
        // RGW 16.2 has no SSE-S3: it refuses AES256 on uploads (and ignores it on CopyObject), so copies into it are
        // written as its buckets default them (BadInputTests checks the refusal's advice).
        if provider == .rgw || backupServer?.provider == .rgw { encryptionFlags = ["--sse", "none"] }
        if let backupServer = backupServer?.server {
            let other = Emulator.client(endpoint: backupServer.endpoint)
            backup = Emulator.uniqueBucket("\(label)-b")
            try await other.createBucket(backup, region: "us-west-2")
            flags = ["--source-endpoint-url", emulator.server.endpoint, "--backup-endpoint-url", backupServer.endpoint] + encryptionFlags
            backupClient = other
        } else {
            backup = try await emulator.makeBucket("\(label)-b", region: "us-west-2", objectLock: objectLock)
            backupClient = emulator.client
            flags = encryptionFlags
        }
        if versioned { try await backupClient.putBucketVersioning(backup, enabled: true) }
    }

    /// The client that reaches the backup bucket.
    let backupClient: S3Client
    /// `--sse` for copies into this provider (`run` and `restore`).
    private(set) var encryptionFlags: [String] = []

    /// Where `run` writes its logs.
    var logDirectory: String { directory.appendingPathComponent("logs").path }

    /// The last `bytes` of the test's file `name`, headed by its name, for a failure's message.
    func tail(of name: String, bytes: Int = 2_000) -> String {
        let text = (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? "(unreadable)"
        return "--- \(name):\n\(text.suffix(bytes))"
    }

    /// Removes the test's files and gives its place back.
    func remove() {
        try? FileManager.default.removeItem(at: directory)
        slot.release()
    }

    /// Puts `count` objects in client-like prefixes (`clients/NNN/kind/file`), 16 at a time.
    func seed(_ count: Int, prefix: String = "clients") async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<16 {
                group.addTask {
                    for index in stride(from: lane, to: count, by: 16) {
                        let key = BackupFixture.seededKey(index, prefix: prefix)
                        try await sourceClient.putObject(
                            bucket: primary, key: key, body: BytesBody(Array("object \(index) of \(prefix)".utf8)),
                            options: WriteOptions(metadata: ObjectMetadata(contentType: "application/x-\(index % 5)",
                                                                           user: ["owner": "client-\(index % 37)"])))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// The key `seed` gives object `index`.
    static func seededKey(_ index: Int, prefix: String = "clients") -> String {
        "\(prefix)/\(String(format: "%03d", index % 37))/\(["audio", "images", "journal"][index % 3])/file-\(index).bin"
    }

    /// The awkward keys with metadata and tags, and a three-part multipart object.
    func seedAwkward() async throws {
        for (index, key) in awkwardKeys.enumerated() {
            try await sourceClient.putObject(
                bucket: primary, key: key, body: BytesBody(Array("awkward \(index)".utf8)),
                options: WriteOptions(metadata: ObjectMetadata(contentType: "text/plain", cacheControl: "max-age=\(index)",
                                                               contentDisposition: "inline", contentLanguage: "en",
                                                               user: ["index": String(index)]),
                                      tags: [Tag(key: "index", value: String(index))]))
        }
        let upload = try await sourceClient.createMultipartUpload(
            bucket: primary, key: "big/three-parts.bin",
            options: WriteOptions(metadata: ObjectMetadata(contentType: "application/x-big", user: ["parts": "3"]),
                                  tags: [Tag(key: "size", value: "big")]))
        var parts: [CompletedPart] = []
        for (number, byte) in [(1, UInt8(1)), (2, 2), (3, 3)] {
            let size = number == 3 ? 1_234 : 5 << 20
            parts.append(try await sourceClient.uploadPart(bucket: primary, key: "big/three-parts.bin", uploadID: upload,
                                                           number: number, body: BytesBody([UInt8](repeating: byte, count: size))))
        }
        try await sourceClient.completeMultipartUpload(bucket: primary, key: "big/three-parts.bin", uploadID: upload, parts: parts)
    }

    /// Runs `s3backup run` to its end.
    func run(_ extra: [String] = [], timeout: Duration = .seconds(240)) async throws -> (status: Int32, reports: [[String: Any]], stderr: String) {
        let result = try await IntegrationTests.run(
            Repository.binary,
            ["run", "--source", "s3://\(primary)", "--backup", "s3://\(backup)", "--db", database, "--workers", "2",
             "--lease-seconds", "2", "--json", "--log-dir", logDirectory] + flags + extra,
            environment: environment, timeout: timeout)
        let reports = (try? JSONSerialization.jsonObject(with: Data(result.stdout))) as? [[String: Any]] ?? []
        return (result.status, reports, result.stderr)
    }

    /// Runs `s3backup restore` from the backup into the primary, with `extra` flags, to its end.
    func restore(_ extra: [String], timeout: Duration = .seconds(120)) async throws -> CommandResult {
        try await IntegrationTests.run(Repository.binary, ["restore", "--from", "s3://\(backup)", "--to", "s3://\(primary)",
                                                           "--db", database, "--log-dir", logDirectory, "--lease-seconds", "2",
                                                           "--workers", "2"] + encryptionFlags + extra,
                                       environment: environment, timeout: timeout)
    }

    /// Whether the queue has been made (by a first `run`).
    func queueExists() throws -> Bool {
        switch QueueLocation(database) {
        case .sqlite(let path): FileManager.default.fileExists(atPath: path)
        case .postgres(let conninfo):
            try PGConnection(conninfo: conninfo, location: "test").execute("SELECT to_regclass('tasks') IS NOT NULL").text(0, 0) == "t"
        }
    }

    /// The queue's succeeded tasks: id → updated_at, to tell later whether one was done again.
    func succeededTasks() async throws -> [Int64: Int64] {
        let sql = "SELECT id, updated_at FROM tasks WHERE state = 'succeeded'"
        switch QueueLocation(database) {
        case .sqlite(let path):
            return try await SQLiteQueue(path: path).perform { db in
                Dictionary(uniqueKeysWithValues: try db.prepare(sql).rows { ($0.int64(0), $0.int64(1)) })
            }
        case .postgres(let conninfo):
            let rows = try PGConnection(conninfo: conninfo, location: "test").execute(sql)
            return Dictionary(uniqueKeysWithValues: (0..<rows.rows).map { (rows.integer($0, 0)!, rows.integer($0, 1)!) })
        }
    }

    /// Every object of a bucket: key bytes → (size, ETag).
    func listing(_ client: S3Client, _ bucket: String) async throws -> [[UInt8]: (Int64, ETag)] {
        var objects: [[UInt8]: (Int64, ETag)] = [:]
        for try await page in client.listObjects(bucket: bucket) {
            for object in page.objects { objects[Array(object.key.utf8)] = (object.size, object.etag) }
        }
        return objects
    }

    /// The backup equals the primary: same keys (bytes), sizes and ETags everywhere; same metadata, tags and
    /// bodies for `sample` keys, each stored in the backup as `backupClass` (nil: whatever class it moved to).
    func expectEqual(sample: [String], backupClass: String? = "STANDARD_IA") async throws {
        let left = try await listing(sourceClient, primary), right = try await listing(backupClient, backup)
        #expect(left.count == right.count, "object counts \(left.count) vs \(right.count)")
        let missing = left.keys.filter { right[$0] == nil }.map { String(decoding: $0, as: UTF8.self) }
        let extra = right.keys.filter { left[$0] == nil }.map { String(decoding: $0, as: UTF8.self) }
        #expect(missing.isEmpty, "missing in the backup: \(missing.prefix(5))")
        #expect(extra.isEmpty, "extra in the backup: \(extra.prefix(5))")
        for (key, value) in left {
            guard let copy = right[key] else { continue }
            #expect(copy.0 == value.0 && copy.1 == value.1, "\(String(decoding: key, as: UTF8.self).debugDescription): \(value) vs \(copy)")
        }
        for key in sample {
            let a = try await sourceClient.headObject(bucket: primary, key: key)
            let b = try await backupClient.headObject(bucket: backup, key: key)
            #expect(a.metadata == b.metadata, "metadata of \(key.debugDescription)")
            if let backupClass { #expect(b.storageClass == backupClass) }
            #expect(try await sourceClient.getObjectTagging(bucket: primary, key: key)
                        == backupClient.getObjectTagging(bucket: backup, key: key), "tags of \(key.debugDescription)")
            let bodyA = BytesSink(), bodyB = BytesSink()
            try await sourceClient.getObject(bucket: primary, key: key, to: bodyA)
            try await backupClient.getObject(bucket: backup, key: key, to: bodyB)
            #expect(bodyA.bytes == bodyB.bytes, "body of \(key.debugDescription)")
        }
    }
}

extension Dictionary where Key == String, Value == Any {
    /// `report["work"]["copied"]`-style access for JSON reports.
    func int(_ path: String...) -> Int? {
        var value: Any? = self
        for step in path { value = (value as? [String: Any])?[step] }
        return value as? Int
    }
}
