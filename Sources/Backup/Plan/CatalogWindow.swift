import Queue
import S3

/// The catalog rows of one location pair, read in key order a window at a time. A planner asks for keys in the
/// order its diff meets them, so it makes one query per `window` rows instead of one per object (at 10 million
/// SSE-KMS objects, every one of them differs by ETag each night).
final class CatalogWindow: Sendable {
    /// Reads up to `window` rows from a key on.
    typealias Fetch = @Sendable (_ from: String, _ window: Int) async throws -> [CatalogEntry]

    private let fetch: Fetch
    private let window: Int
    /// The rows read last: all those from `from` through the last one (through the end when `exhausted`).
    private let cache = LockedBox((from: [UInt8]?.none, records: [[UInt8]: CatalogEntry](), last: [UInt8](), exhausted: false))

    /// Rows of `pair` in `queue`.
    convenience init(queue: any TaskQueue, pair: String, window: Int = 1_000) {
        self.init(window: window) { from, window in try await queue.catalog(pair: pair, from: from, limit: window) }
    }

    /// Rows read with `fetch`.
    init(window: Int, fetch: @escaping Fetch) {
        precondition(window >= 1, "a window of at least one row")
        self.window = window
        self.fetch = fetch
    }

    /// The row of `key`, if any.
    func row(for key: String) async throws -> CatalogEntry? {
        let bytes = Array(key.utf8)
        let covered = cache.mutate { cache -> CatalogEntry?? in
            guard let from = cache.from, !bytes.lexicographicallyPrecedes(from),
                  cache.exhausted || !cache.last.lexicographicallyPrecedes(bytes) else { return .none }
            return .some(cache.records[bytes])
        }
        if let covered { return covered }
        let read = try await fetch(key, window)
        cache.mutate { cache in
            cache = (bytes, Dictionary(read.map { (Array($0.key.utf8), $0) }, uniquingKeysWith: { $1 }),
                     read.last.map { Array($0.key.utf8) } ?? bytes, read.count < window)
        }
        return read.first { $0.key.utf8.elementsEqual(key.utf8) }
    }
}
