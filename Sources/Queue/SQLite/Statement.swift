import CSQLite

/// A compiled statement; finalized when released, reset before every execution so no read stays pinned.
/// Its connection keeps it for reuse, so it must not outlive that connection.
final class Statement {
    private let handle: OpaquePointer
    private unowned let connection: Connection
    let sql: String

    init(_ handle: OpaquePointer, connection: Connection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Whether the statement was stepped and not yet reset. https://www.sqlite.org/c3ref/stmt_busy.html
    var isBusy: Bool { sqlite3_stmt_busy(handle) != 0 }

    /// A value to bind.
    enum Value: Sendable {
        case integer(Int64)
        case text(String)
        case blob([UInt8])
        case null
    }

    /// Resets the statement and binds `values` to parameters 1…n.
    @discardableResult
    func bind(_ values: Value...) throws -> Statement { try bind(values) }

    /// Resets the statement and binds `values` to parameters 1…n.
    @discardableResult
    func bind(_ values: [Value]) throws -> Statement {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
            // SQLITE_TRANSIENT: SQLite copies the bytes, which Swift frees after this call.
            case .text(let text): code = sqlite3_bind_text(handle, index, text, -1, s3b_sqlite_transient())
            case .blob(let bytes):
                code = bytes.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count), s3b_sqlite_transient()) }
            case .null: code = sqlite3_bind_null(handle, index)
            }
            if code != SQLITE_OK { throw connection.error(code: code, sql: sql) }
        }
        return self
    }

    /// Steps once: true when a row is ready, false when done. An error resets the statement.
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.error(code: sqlite3_extended_errcode(connection.raw), sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Runs to completion, ignoring rows; resets afterwards.
    func run() throws {
        defer { sqlite3_reset(handle) }
        while try step() {}
    }

    /// Every row, mapped; resets afterwards.
    func rows<T>(_ map: (Statement) throws -> T) throws -> [T] {
        defer { sqlite3_reset(handle) }
        var out: [T] = []
        while try step() { out.append(try map(self)) }
        return out
    }

    /// Column `index` as an integer.
    func int64(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    /// Column `index` as an integer, nil for NULL.
    func optionalInt64(_ index: Int32) -> Int64? {
        sqlite3_column_type(handle, index) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, index)
    }

    /// Column `index` as text; "" for NULL.
    func text(_ index: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, index) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, index))),
                      as: UTF8.self)
    }

    /// Column `index` as text, nil for NULL.
    func optionalText(_ index: Int32) -> String? {
        sqlite3_column_type(handle, index) == SQLITE_NULL ? nil : text(index)
    }

    /// Column `index` as bytes.
    func blob(_ index: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count > 0, let pointer = sqlite3_column_blob(handle, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
