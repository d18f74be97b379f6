import ArgumentParser
import Foundation
import Queue

/// The queue file the operator views read.
struct QueueOptions: ParsableArguments {
    @Option(help: "The queue: a SQLite file on a local disk, or a PostgreSQL database (postgresql://…, service=NAME).")
    var db: String

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    /// Opens an existing queue; a path with no file is an error here, not a new empty queue.
    func openExisting() throws -> any TaskQueue { try Self.openExisting(db) }

    /// The queue's location as output shows it (a password masked).
    var shownLocation: String { QueueLocation(db).description }

    /// Opens the existing queue at `location`.
    static func openExisting(_ location: String) throws -> any TaskQueue { try QueueLocation(location).open(create: false) }

    /// Prints `value` as JSON (ISO 8601 dates, sorted keys) when `--json` was given, else `text()`.
    func emit<T: Encodable>(_ value: T, text: () -> String) throws {
        var output = StandardOutput()
        if json {
            try output.line(String(decoding: try documentEncoder.encode(value), as: UTF8.self))
        } else {
            let body = text()
            if !body.isEmpty { try output.line(body) }
        }
        try output.flush()
    }
}
