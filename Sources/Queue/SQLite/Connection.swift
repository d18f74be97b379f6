import CSQLite

/// One SQLite connection. Not thread-safe: its owner confines it to one thread or serial queue.
final class Connection {
    let path: String
    private let handle: OpaquePointer
    /// Compiled statements by their SQL, kept for reuse: compiling costs more than running a claim.
    private var statements: [String: Statement] = [:]
    /// The most statements kept; SQL built per call (`IN` lists of a given length) can only fill the cache this far.
    static let statementCacheLimit = 64

    /// Opens (creating if needed) the database at `path`.
    init(path: String) throws {
        self.path = path
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw QueueError(.sqlite(code: code), "cannot open: \(message)", path: path)
        }
        self.handle = handle
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        if code != SQLITE_OK {
            throw error(code: sqlite3_extended_errcode(handle), sql: sql, detail: message.map { String(cString: $0) })
        }
    }

    /// Compiles `sql`, or hands back its earlier compilation when that one is not in the middle of a run.
    func prepare(_ sql: String) throws -> Statement {
        if let known = statements[sql], !known.isBusy { return known }
        var compiled: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &compiled, nil)
        guard code == SQLITE_OK, let compiled else { throw error(code: code, sql: sql) }
        let statement = Statement(compiled, connection: self, sql: sql)
        if statements[sql] == nil, statements.count < Self.statementCacheLimit { statements[sql] = statement }
        return statement
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: the write lock is taken at the start, so `busy_timeout`
    /// applies and no deferred read-to-write upgrade can fail with SQLITE_BUSY mid-way.
    /// https://www.sqlite.org/lang_transaction.html
    func writeTransaction<T>(_ body: () throws -> T) throws -> T {
        try prepare("BEGIN IMMEDIATE").run()
        do {
            let result = try body()
            try prepare("COMMIT").run()
            return result
        } catch {
            try? prepare("ROLLBACK").run()
            throw error
        }
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// The first column of the first row of `sql`, as an integer (PRAGMAs, counts).
    func integer(_ sql: String) throws -> Int64 {
        try prepare(sql).rows { $0.int64(0) }.first ?? 0
    }

    /// A `QueueError` for `code`, with SQLite's message.
    func error(code: Int32, sql: String?, detail: String? = nil) -> QueueError {
        QueueError(.sqlite(code: code), detail ?? String(cString: sqlite3_errmsg(handle)), path: path, sql: sql)
    }

    /// The raw handle, for `Statement`.
    var raw: OpaquePointer { handle }
}
