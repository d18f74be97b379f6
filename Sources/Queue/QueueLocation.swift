import Foundation
import Settings

/// Where a queue lives: a SQLite file on this host's disk, or a PostgreSQL database the hosts of a fleet share.
public enum QueueLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite file (created when missing).
    case sqlite(path: String)
    /// A PostgreSQL database, as a libpq connection string.
    /// https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING
    case postgres(conninfo: String)

    /// Reads a `--db`: `postgresql://…` and `postgres://…` URIs and whatever libpq takes for `key=value` pairs
    /// (`service=NAME`, `host=… dbname=…`) name a PostgreSQL database; anything else is the path of a SQLite file.
    public init(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("postgresql://") || trimmed.hasPrefix("postgres://")
            || (trimmed.contains("=") && Conninfo.options(trimmed) != nil) {
            self = .postgres(conninfo: trimmed)
        } else {
            self = .sqlite(path: text)
        }
    }

    /// The location with any password in it masked: what output, logs and reports show.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let conninfo): Self.masked(conninfo)
        }
    }

    /// `conninfo` with the passwords (`password`, `sslpassword`) of a URI's user part, of its query and of
    /// `key=value` pairs (quoted, or with backslash escapes) masked.
    static func masked(_ conninfo: String) -> String {
        // https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-KEYWORD-VALUE: a value in
        // single quotes may hold spaces; a backslash escapes the next character, quoted or not.
        [#"([?&](?:ssl)?password=)[^&#]*"#, #"((?:^|\s)(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|(?:\\.|[^\s\\])+)"#]
            .reduce(SecretMask.maskingURLPassword(conninfo)) { text, pattern in
                text.replacingOccurrences(of: pattern, with: "$1" + SecretMask.mask, options: .regularExpression)
            }
    }

    /// Opens the queue here with `settings`: created and migrated when `create`; otherwise a place that holds no
    /// queue is refused (`notFound`), so an operator's typo never reads as an empty queue.
    public func open(settings: QueueSettings = QueueSettings(), create: Bool = true) throws -> any TaskQueue {
        switch self {
        case .sqlite(let path):
            guard create || FileManager.default.fileExists(atPath: path) else {
                throw QueueError(.notFound, "there is no queue at \(path): pass the --db the planner used", path: "")
            }
            return try SQLiteQueue(path: path, settings: settings)
        case .postgres(let conninfo):
            return try PostgresQueue(conninfo: conninfo, location: description, settings: settings, create: create)
        }
    }
}
