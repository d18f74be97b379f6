import Queue
import S3

/// The catalog rows of one location pair, read in key order a window at a time. A planner asks for keys in the
/// order its diff meets them, so it makes one query per `window` rows instead of one per object (at 10 million
/// SSE-KMS objects, every one of them differs by ETag each night). A window keeps only what the plan compares, in
/// key order, so the planner's memory is a few hundred kilobytes per unit planned at once whatever the catalog's size.
final class CatalogWindow: Sendable {
    /// Reads up to `window` rows from a key on.
    typealias Fetch = @Sendable (_ from: String, _ window: Int) async throws -> [CatalogEntry]

    /// What the plan compares of a row.
    private struct Row: Sendable {
        let key: [UInt8]
        let size: Int64
        let sourceETag: String
        let backupETag: String
    }

    private let pair: String
    private let fetch: Fetch
    private let window: Int
    /// The rows read last, in key order: all those from `from` through `last` (through the end when `exhausted`).
    private let cache = LockedBox((from: [UInt8]?.none, rows: [Row](), last: [UInt8](), exhausted: false))

    /// Rows of `pair` in `queue`.
    convenience init(queue: any TaskQueue, pair: String, window: Int = 1_000) {
        self.init(pair: pair, window: window) { from, window in try await queue.catalog(pair: pair, from: from, limit: window) }
    }

    /// Rows of `pair` read with `fetch`.
    init(pair: String, window: Int, fetch: @escaping Fetch) {
        precondition(window >= 1, "a window of at least one row")
        self.pair = pair
        self.window = window
        self.fetch = fetch
    }

    /// The row of `key` as the plan compares it (its size and both ETags), if any.
    func row(for key: String) async throws -> CatalogEntry? {
        let bytes = Array(key.utf8)
        let covered = cache.mutate { cache -> Row?? in
            guard let from = cache.from, !bytes.lexicographicallyPrecedes(from),
                  cache.exhausted || !cache.last.lexicographicallyPrecedes(bytes) else { return .none }
            return .some(Self.find(bytes, in: cache.rows))
        }
        let row: Row?
        if let covered {
            row = covered
        } else {
            let read = try await fetch(key, window).map {
                Row(key: Array($0.key.utf8), size: $0.size, sourceETag: $0.sourceETag, backupETag: $0.backupETag)
            }
            cache.mutate { $0 = (bytes, read, read.last?.key ?? bytes, read.count < window) }
            row = Self.find(bytes, in: read)
        }
        return row.map {
            CatalogEntry(pair: pair, key: key, size: $0.size, sourceETag: $0.sourceETag, backupETag: $0.backupETag)
        }
    }

    /// The row of `key` in `rows` (in key byte order), by binary search.
    private static func find(_ key: [UInt8], in rows: [Row]) -> Row? {
        var low = 0, high = rows.count
        while low < high {
            let middle = (low + high) / 2
            if rows[middle].key.lexicographicallyPrecedes(key) { low = middle + 1 } else { high = middle }
        }
        return low < rows.count && rows[low].key == key ? rows[low] : nil
    }
}
