import ArgumentParser
import Foundation
import Queue

/// The queue file the operator views read.
struct QueueOptions: ParsableArguments {
    @Option(help: "The queue database (SQLite file on a local disk).")
    var db: String

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    /// Opens an existing queue; a path with no file is an error here, not a new empty queue.
    func openExisting() throws -> SQLiteQueue { try Self.openExisting(db) }

    /// Opens the existing queue at `path`.
    static func openExisting(_ path: String) throws -> SQLiteQueue {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("there is no queue at \(path): pass the --db the planner used")
        }
        return try SQLiteQueue(path: path)
    }

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
