import CSQLite
import Failures

/// Every failure of the queue: what happened, the SQLite result code and statement, and what to do.
public struct QueueError: CategorizedError, Sendable, CustomStringConvertible {
    /// The broad class of a failure.
    public enum Kind: Sendable, Equatable {
        /// SQLite refused; `code` is its extended result code.
        case sqlite(code: Int32)
        /// PostgreSQL refused, or its connection failed; `state` is the SQLSTATE (`08006` for a connection that
        /// could not be made or was lost). https://www.postgresql.org/docs/current/errcodes-appendix.html
        case postgres(state: String)
        /// The database was written by a newer s3backup.
        case newerSchema(found: Int, supported: Int)
        /// The file is on a network file system, where WAL's shared memory cannot work.
        case unsafeLocation(fileSystem: String)
        /// A lease this worker held is gone: another worker owns the task now (or it was finished).
        case leaseLost(task: Int64)
        /// An id the caller named does not exist.
        case notFound
    }

    /// The broad class.
    public let kind: Kind
    /// What happened, for a person.
    public let message: String
    /// The database file.
    public let path: String
    /// The SQL that failed, when there was one.
    public let sql: String?

    init(_ kind: Kind, _ message: String, path: String, sql: String? = nil) {
        self.kind = kind
        self.message = message
        self.path = path
        self.sql = sql
    }

    /// The error for a lease that is no longer held.
    static func lost(_ lease: Lease, path: String) -> QueueError {
        QueueError(.leaseLost(task: lease.task),
                   "task \(lease.task): the lease of \(lease.owner) (token \(lease.token)) was lost and another worker "
                       + "owns the task now, so this worker's result was not recorded", path: path)
    }

    /// A queue in a place it cannot work (a file it cannot open or write, a network file system), or from a newer
    /// version, is configuration; an id that does not exist is a mistake of the command line; damage is a failure.
    public var category: FailureCategory {
        switch kind {
        case .newerSchema, .unsafeLocation: .configuration
        case .notFound: .usage
        case .sqlite(let code) where [SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM].contains(code & 0xff): .configuration
        case .postgres(let state) where state.hasPrefix("08"): .unreachable
        case .postgres(let state) where state.hasPrefix("28"): .credentials
        case .postgres(let state) where ["3D000", "42501", "3F000", "22021"].contains(state): .configuration
        case .sqlite, .postgres, .leaseLost: .failed
        }
    }

    /// One line with the advice that fits the failure.
    public var description: String {
        var line = path.isEmpty ? message : "queue \(path): \(message)"
        if case .sqlite(let code) = kind, let advice = QueueError.advice(code & 0xff) { line += "; \(advice)" }
        if case .sqlite(let code) = kind, [SQLITE_BUSY, SQLITE_LOCKED].contains(code & 0xff), !path.isEmpty {
            let holders = LockHolders.of(path)
            if !holders.isEmpty { line += " (held by \(holders.joined(separator: ", ")))" }
        }
        return line
    }

    private static func advice(_ primary: Int32) -> String? {
        switch primary {
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            "the file is damaged or not an s3backup queue: move it aside and plan again (S3 copies are idempotent)"
        case SQLITE_FULL: "the disk is full: free space and run the same command again to resume"
        case SQLITE_READONLY, SQLITE_PERM: "the file or its directory is read-only: the queue needs to write both"
        case SQLITE_CANTOPEN: "cannot open the file: check that the directory exists and is writable"
        case SQLITE_IOERR: "an I/O error: check the disk"
        case SQLITE_BUSY, SQLITE_LOCKED: "another process kept the database locked too long: try again"
        default: nil
        }
    }
}
