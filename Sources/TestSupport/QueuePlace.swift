import Foundation
import Queue

/// The queue's backends: every conformance test runs on each.
public enum Backend: String, CaseIterable, Sendable {
    /// A file on this host.
    case sqlite
    /// A database on a server.
    case postgres
}

/// A fresh, empty place for one test's queue: a file in a temporary directory, or a schema of its own on the test
/// process's PostgreSQL cluster. Every queue opened on it is another process's connection to the same queue.
public struct QueuePlace: Sendable {
    /// Which backend.
    public let backend: Backend
    private let directory: TemporaryDirectory
    /// The PostgreSQL connection string (nil for SQLite).
    public let conninfo: String?

    /// A new place of `backend` (a PostgreSQL schema on `server`, by default the test process's cluster).
    public init(_ backend: Backend, server: PostgresServer? = nil) throws {
        self.backend = backend
        directory = try TemporaryDirectory()
        conninfo = backend == .postgres ? try (server ?? PostgresServer.shared()).newSchema() : nil
    }

    /// The location a command line would name (`--db`, `S3BACKUP_DB`).
    public var location: QueueLocation {
        conninfo.map { .postgres(conninfo: $0) } ?? .sqlite(path: directory.file("queue.db"))
    }

    /// A queue here, on `clock` instead of the server's or the host's.
    public func open(settings: QueueSettings = QueueSettings(), clock: TestClock) throws -> any TaskQueue {
        switch location {
        case .sqlite(let path): try SQLiteQueue(path: path, settings: settings, clock: clock.function)
        case .postgres(let conninfo): try PostgresQueue(conninfo: conninfo, location: "test", settings: settings, clock: clock.function)
        }
    }
}
