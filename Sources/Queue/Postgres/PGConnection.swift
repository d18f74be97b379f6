import CPostgres
import Foundation
import Settings

/// A value bound to a statement parameter: text, a 64-bit integer, bytes, NULL, or an array of those (sent in
/// the text form of an array, so one statement can carry a batch: `unnest($1::bigint[], …)`).
enum PGValue: Sendable, Equatable {
    case text(String)
    case integer(Int64)
    case bytes([UInt8])
    case null
    case array([PGValue])

    /// An optional text, NULL when nil.
    static func text(_ text: String?) -> PGValue { text.map { .text($0) } ?? .null }
    /// An optional integer, NULL when nil.
    static func integer(_ number: Int64?) -> PGValue { number.map { .integer($0) } ?? .null }
    /// Optional bytes, NULL when nil.
    static func bytes(_ bytes: [UInt8]?) -> PGValue { bytes.map { .bytes($0) } ?? .null }

    /// The text form of an array: elements in double quotes with `"` and `\` escaped, bytes as `\x` and hex.
    /// https://www.postgresql.org/docs/current/arrays.html#ARRAYS-IO
    var arrayLiteral: String {
        guard case .array(let elements) = self else { preconditionFailure("not an array") }
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return "{" + elements.map { element in
            switch element {
            case .null: "NULL"
            case .integer(let number): String(number)
            case .text(let text): quoted(text)
            case .bytes(let bytes): quoted("\\x" + hex(bytes))
            case .array: preconditionFailure("arrays of arrays are not sent")
            }
        }.joined(separator: ",") + "}"
    }
}

/// One PostgreSQL connection through libpq. Not thread-safe: its owner confines it to one thread or serial queue.
/// Statements are prepared once per connection and sent with their parameters apart (`PQexecPrepared`), never
/// spliced into the SQL. https://www.postgresql.org/docs/current/libpq-exec.html
final class PGConnection {
    /// The connection string as given, for messages; libpq keeps passwords out of it when they come from
    /// `PGPASSWORD`, `~/.pgpass` or a service file. https://www.postgresql.org/docs/current/libpq-envars.html
    let location: String
    private let handle: OpaquePointer
    /// The statements prepared on this connection, by their SQL; a new connection (after `reconnect`) has none.
    private var prepared: [String: String] = [:]

    /// Connects with `conninfo` (a `postgresql://` URI, `key=value` pairs or `service=NAME`).
    /// https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING
    /// Unless `conninfo` says otherwise: named `s3backup` in `pg_stat_activity`, connecting gives up after 10 s, and a
    /// TCP peer that stops answering (a cut link) fails the connection within about 20 s instead of TCP's 15 minutes.
    /// The server, for its part, ends the session of a client gone quiet inside a transaction (`sessionSetup`).
    init(conninfo: String, location: String) throws {
        self.location = location
        // Keywords are processed in order and the last value stays, so ours come before the expanded connection
        // string (expand_dbname = 1: the first dbname is the whole string), which may override each.
        // https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PQCONNECTDBPARAMS
        let defaults = [("fallback_application_name", "s3backup"), ("connect_timeout", "10"), ("keepalives_idle", "10"),
                        ("keepalives_interval", "5"), ("keepalives_count", "2"), ("tcp_user_timeout", "20000")]
        let keywords = defaults.map(\.0) + ["dbname"], values = defaults.map(\.1) + [conninfo]
        let connected = withCStrings(keywords) { keywords in
            withCStrings(values) { values in PQconnectdbParams(keywords + [nil], values + [nil], 1) }
        }
        guard let handle = connected else {
            throw QueueError(.postgres(state: "08006"), "cannot connect: out of memory", path: location)
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            // libpq's complaints about a malformed string quote it.
            let message = Conninfo.secrets(conninfo).reduce(PGConnection.message(PQerrorMessage(handle))) {
                $0.replacingOccurrences(of: $1, with: SecretMask.mask)
            }
            PQfinish(handle)
            throw QueueError(.postgres(state: "08006"), "cannot connect: \(message)", path: location)
        }
        self.handle = handle
        try script(Self.sessionSetup)
    }

    deinit { PQfinish(handle) }

    /// Run on every new connection. A host that vanishes mid-transaction (a cut link, a killed VM) would keep its row
    /// locks until the server's TCP keepalive notices, two hours by default; the queue's transactions never wait
    /// for their client, so 20 s of silence inside one ends the session and frees its rows, and the server probes a
    /// quiet peer after 10 s. https://www.postgresql.org/docs/current/runtime-config-client.html,
    /// https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-TCP-KEEPALIVES-IDLE
    /// bytea and text travel as this code reads them (hex, UTF-8) whatever the role's or database's defaults.
    static let sessionSetup = """
        SET idle_in_transaction_session_timeout = 20000; SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5;
        SET tcp_keepalives_count = 2; SET bytea_output = hex; SET client_encoding = 'UTF8'
        """

    /// Whether the connection is up (as of the last exchange).
    var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Whether a transaction is open on it (begun, perhaps failed, not yet ended).
    var inTransaction: Bool { [PQTRANS_INTRANS, PQTRANS_INERROR].contains(PQtransactionStatus(handle)) }

    /// Reconnects with the same parameters after the connection was lost; throws when the server cannot be reached.
    func reconnect() throws {
        prepared.removeAll()
        PQreset(handle)
        guard isConnected else {
            throw QueueError(.postgres(state: "08006"), "cannot reconnect: \(PGConnection.message(PQerrorMessage(handle)))",
                             path: location)
        }
        try script(Self.sessionSetup)
    }

    /// Runs `sql` with `parameters` (`$1`, `$2`, …) and returns its result: rows for a query, the count of rows
    /// changed for a command. Integers and text travel as text, bytes in binary; results come back as text.
    @discardableResult
    func execute(_ sql: String, _ parameters: [PGValue] = []) throws -> PGResult {
        let name = try statement(sql, parameters: parameters.count)
        var owned: [[CChar]?] = []
        var lengths: [Int32] = [], formats: [Int32] = []
        for parameter in parameters {
            switch parameter {
            case .text(let text): owned.append(Array(text.utf8CString)); lengths.append(0); formats.append(0)
            case .integer(let number): owned.append(Array(String(number).utf8CString)); lengths.append(0); formats.append(0)
            case .bytes(let bytes): owned.append(bytes.map { CChar(bitPattern: $0) }); lengths.append(Int32(bytes.count)); formats.append(1)
            case .null: owned.append(nil); lengths.append(0); formats.append(0)
            case .array: owned.append(Array(parameter.arrayLiteral.utf8CString)); lengths.append(0); formats.append(0)
            }
        }
        let result: OpaquePointer? = withPointers(to: owned) { values in
            PQexecPrepared(handle, name, Int32(parameters.count), values, lengths, formats, 0)
        }
        guard let result else {
            throw QueueError(.postgres(state: "08006"), PGConnection.message(PQerrorMessage(handle)), path: location, sql: sql)
        }
        return try check(PGResult(result), sql: sql)
    }

    /// `result` when it succeeded; else its error, with its SQLSTATE (`08006` when it has none: the connection broke).
    private func check(_ result: PGResult, sql: String) throws -> PGResult {
        switch PQresultStatus(result.handle) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return result
        default:
            let state = PQresultErrorField(result.handle, sqlStateField).map { String(cString: $0) } ?? "08006"
            throw QueueError(.postgres(state: state), PGConnection.message(PQresultErrorMessage(result.handle)),
                             path: location, sql: sql)
        }
    }

    /// The name of `sql` prepared on this connection, preparing it the first time: the server parses and plans it
    /// once, not at every execution (custom plans for the first executions, then a generic one when it costs no
    /// more). https://www.postgresql.org/docs/current/sql-prepare.html
    private func statement(_ sql: String, parameters: Int) throws -> String {
        if let name = prepared[sql] { return name }
        let name = "s\(prepared.count + 1)"
        guard let result = PQprepare(handle, name, sql, Int32(parameters), nil) else {
            throw QueueError(.postgres(state: "08006"), PGConnection.message(PQerrorMessage(handle)), path: location, sql: sql)
        }
        _ = try check(PGResult(result), sql: sql)
        prepared[sql] = name
        return name
    }

    /// Runs `sql`, which may hold several statements and no parameters (`PQexec`), and returns the last result.
    @discardableResult
    func script(_ sql: String) throws -> PGResult {
        guard let result = PQexec(handle, sql) else {
            throw QueueError(.postgres(state: "08006"), PGConnection.message(PQerrorMessage(handle)), path: location, sql: sql)
        }
        return try check(PGResult(result), sql: sql)
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

    /// libpq's message on one line (it breaks and indents longer ones).
    private static func message(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "no message" }
        return String(cString: text).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }
}

/// `PG_DIAG_SQLSTATE`, the field of an error result that holds its SQLSTATE (a character macro, `'C'`).
private let sqlStateField = Int32(UInt8(ascii: "C"))

/// `bytes` as lowercase hex digits, two a byte.
private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
        for (index, byte) in bytes.enumerated() {
            buffer[2 * index] = digits[Int(byte >> 4)]
            buffer[2 * index + 1] = digits[Int(byte & 0x0f)]
        }
        return bytes.count * 2
    }
}

/// Calls `body` with C strings of `strings`, valid for the call.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    withPointers(to: strings.map { Array($0.utf8CString) }, body)
}

/// A value of no bytes that is not NULL (a static string's storage lives as long as the program).
private var emptyValue: UnsafePointer<CChar> { UnsafeRawPointer(StaticString("").utf8Start).assumingMemoryBound(to: CChar.self) }

/// Calls `body` with C pointers to each buffer (nil for NULL), valid for the call.
private func withPointers<R>(to buffers: [[CChar]?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    func next(_ index: Int, _ pointers: [UnsafePointer<CChar>?]) -> R {
        guard index < buffers.count else { return body(pointers) }
        guard let buffer = buffers[index] else { return next(index + 1, pointers + [nil]) }
        // An empty array may have no storage (a nil base address), which libpq would take for NULL.
        guard !buffer.isEmpty else { return next(index + 1, pointers + [emptyValue]) }
        return buffer.withUnsafeBufferPointer { next(index + 1, pointers + [$0.baseAddress]) }
    }
    return next(0, [])
}

/// One result of libpq (`PGresult`), freed with it. Values are read as text, the format results are asked in.
final class PGResult {
    fileprivate let handle: OpaquePointer

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
