import CPostgres
import Foundation

/// A value bound to a statement parameter: text, a 64-bit integer, bytes, or NULL.
enum PGValue: Sendable, Equatable {
    case text(String)
    case integer(Int64)
    case bytes([UInt8])
    case null
}

/// One PostgreSQL connection through libpq. Not thread-safe: its owner confines it to one thread or serial queue.
/// Statements are sent with their parameters apart (`PQexecParams`), never spliced into the SQL.
/// https://www.postgresql.org/docs/current/libpq-exec.html
final class PGConnection {
    /// The connection string as given, for messages; libpq keeps passwords out of it when they come from
    /// `PGPASSWORD`, `~/.pgpass` or a service file. https://www.postgresql.org/docs/current/libpq-envars.html
    let location: String
    private let handle: OpaquePointer

    /// Connects with `conninfo` (a `postgresql://` URI, `key=value` pairs or `service=NAME`).
    /// https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING
    init(conninfo: String, location: String) throws {
        self.location = location
        guard let handle = PQconnectdb(conninfo) else {
            throw QueueError(.postgres(state: "08006"), "cannot connect: out of memory", path: location)
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = PGConnection.message(PQerrorMessage(handle))
            PQfinish(handle)
            throw QueueError(.postgres(state: "08006"), "cannot connect: \(message)", path: location)
        }
        self.handle = handle
    }

    deinit { PQfinish(handle) }

    /// Whether the connection is up (as of the last exchange).
    var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Reconnects with the same parameters after the connection was lost; throws when the server cannot be reached.
    func reconnect() throws {
        PQreset(handle)
        guard isConnected else {
            throw QueueError(.postgres(state: "08006"), "cannot reconnect: \(PGConnection.message(PQerrorMessage(handle)))",
                             path: location)
        }
    }

    /// Runs `sql` with `parameters` (`$1`, `$2`, …) and returns its result: rows for a query, the count of rows
    /// changed for a command. Integers and text travel as text, bytes in binary; results come back as text.
    @discardableResult
    func execute(_ sql: String, _ parameters: [PGValue] = []) throws -> PGResult {
        var owned: [[CChar]?] = []
        var lengths: [Int32] = [], formats: [Int32] = []
        for parameter in parameters {
            switch parameter {
            case .text(let text): owned.append(Array(text.utf8CString)); lengths.append(0); formats.append(0)
            case .integer(let number): owned.append(Array(String(number).utf8CString)); lengths.append(0); formats.append(0)
            case .bytes(let bytes): owned.append(bytes.map { CChar(bitPattern: $0) }); lengths.append(Int32(bytes.count)); formats.append(1)
            case .null: owned.append(nil); lengths.append(0); formats.append(0)
            }
        }
        let result: OpaquePointer? = withPointers(to: owned) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, lengths, formats, 0)
        }
        guard let result else {
            throw QueueError(.postgres(state: "08006"), PGConnection.message(PQerrorMessage(handle)), path: location, sql: sql)
        }
        let answer = PGResult(result)
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return answer
        default:
            let state = PQresultErrorField(result, sqlStateField).map { String(cString: $0) } ?? "08006"
            throw QueueError(.postgres(state: state), PGConnection.message(PQresultErrorMessage(result)), path: location, sql: sql)
        }
    }

    /// Runs `body` in a transaction, committed when it returns and rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if isConnected { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    /// libpq's message without its trailing newline.
    private static func message(_ text: UnsafePointer<CChar>?) -> String {
        text.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "no message"
    }
}

/// `PG_DIAG_SQLSTATE`, the field of an error result that holds its SQLSTATE (a character macro, `'C'`).
private let sqlStateField = Int32(UInt8(ascii: "C"))

/// Calls `body` with C pointers to each buffer (nil for NULL), valid for the call.
private func withPointers<R>(to buffers: [[CChar]?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    func next(_ index: Int, _ pointers: [UnsafePointer<CChar>?]) -> R {
        guard index < buffers.count else { return body(pointers) }
        guard let buffer = buffers[index] else { return next(index + 1, pointers + [nil]) }
        return buffer.withUnsafeBufferPointer { next(index + 1, pointers + [$0.baseAddress]) }
    }
    return next(0, [])
}

/// One result of libpq (`PGresult`), freed with it. Values are read as text, the format results are asked in.
final class PGResult {
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { PQclear(handle) }

    /// Rows returned.
    var rows: Int { Int(PQntuples(handle)) }
    /// Rows a command changed (`UPDATE`, `INSERT`, `DELETE`, …); 0 when it says none.
    var changed: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    /// Whether the value at `row`, `column` is NULL.
    func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(handle, Int32(row), Int32(column)) == 1 }

    /// The value as text; nil for NULL.
    func text(_ row: Int, _ column: Int) -> String? {
        isNull(row, column) ? nil : String(cString: PQgetvalue(handle, Int32(row), Int32(column)))
    }

    /// The value as an integer; nil for NULL or text that is not one.
    func integer(_ row: Int, _ column: Int) -> Int64? { text(row, column).flatMap { Int64($0) } }

    /// A `bytea` value: its text form is `\x` and two hex digits a byte.
    /// https://www.postgresql.org/docs/current/datatype-binary.html#DATATYPE-BINARY-BYTEA-HEX-FORMAT
    func bytes(_ row: Int, _ column: Int) -> [UInt8]? {
        guard let text = text(row, column) else { return nil }
        let digits = Array(text.utf8.dropFirst(2))
        precondition(text.hasPrefix("\\x") && digits.count % 2 == 0, "bytea in the hex format (bytea_output = hex, the default)")
        func value(_ digit: UInt8) -> UInt8 { digit <= 0x39 ? digit - 0x30 : (digit | 0x20) - 0x57 }
        return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
    }
}
