import S3

/// An entry of a listing, its key relative to the listed prefix.
public struct ListedObject: Sendable, Equatable {
    /// Key relative to the prefix.
    public var key: String
    /// Size in bytes.
    public var size: Int64
    /// ETag.
    public var etag: ETag
    /// LastModified, ISO 8601 as S3 writes it (which sorts as text).
    public var lastModified: String
    /// The version this entry stands for, when listed from versions (a point-in-time view).
    public var versionID: String?
    /// The storage class the listing gave (STANDARD where it gave none).
    public var storageClass: String

    /// An entry.
    public init(key: String, size: Int64, etag: ETag, lastModified: String = "", versionID: String? = nil,
                storageClass: String? = nil) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.versionID = versionID
        self.storageClass = storageClass ?? "STANDARD"
    }
}

/// What the diff decided for one key.
public enum DiffDecision: Sendable, Equatable {
    /// Only in the source: copy.
    case missing(ListedObject)
    /// In both, different size or ETag: copy.
    case changed(ListedObject, backup: ListedObject)
    /// In both, same size and ETag: nothing to do.
    case same(ListedObject, backup: ListedObject)
    /// Only in the backup: delete (subject to the cap).
    case extra(ListedObject)
}

/// Merges two listings sorted by key bytes (S3's order) into decisions, page by page: memory holds one page of
/// each side, whatever the bucket's size.
public struct KeyDiff {
    /// Feeds the next page of a side; nil when the listing is done.
    public typealias Pages = () async throws -> [ListedObject]?

    private var source: PageCursor
    private var backup: PageCursor

    /// A diff of `source` against `backup`.
    public init(source: @escaping Pages, backup: @escaping Pages) {
        self.source = PageCursor(next: source)
        self.backup = PageCursor(next: backup)
    }

    /// The next decision, in key order; nil when both listings are exhausted.
    public mutating func next() async throws -> DiffDecision? {
        let left = try await source.peek()
        let right = try await backup.peek()
        switch (left, right) {
        case (nil, nil):
            return nil
        case (let s?, nil):
            source.advance()
            return .missing(s)
        case (nil, let b?):
            backup.advance()
            return .extra(b)
        case (let s?, let b?):
            if s.key.utf8.elementsEqual(b.key.utf8) {
                source.advance()
                backup.advance()
                return s.size == b.size && s.etag == b.etag ? .same(s, backup: b) : .changed(s, backup: b)
            }
            if s.key.utf8.lexicographicallyPrecedes(b.key.utf8) {
                source.advance()
                return .missing(s)
            }
            backup.advance()
            return .extra(b)
        }
    }
}

/// Walks a paged listing one entry at a time, checking that keys ascend (the merge depends on it).
private struct PageCursor {
    let next: KeyDiff.Pages
    var page: [ListedObject] = []
    var index = 0
    var finished = false
    var previous: String?

    init(next: @escaping KeyDiff.Pages) { self.next = next }

    mutating func peek() async throws -> ListedObject? {
        while index == page.count {
            guard !finished, let more = try await next() else {
                finished = true
                return nil
            }
            page = more
            index = 0
        }
        let entry = page[index]
        if let previous, !previous.utf8.lexicographicallyPrecedes(entry.key.utf8) {
            throw ListingOrderError(previous: previous, next: entry.key)
        }
        return entry
    }

    mutating func advance() {
        previous = page[index].key
        index += 1
    }
}

/// A listing that did not come in ascending key order: the diff would be wrong, so planning stops.
public struct ListingOrderError: Error, CustomStringConvertible {
    /// The key before.
    public let previous: String
    /// The key that should have come after it.
    public let next: String
    /// One line.
    public var description: String {
        "the listing is not in S3's key order (\(previous.debugDescription) before \(next.debugDescription)): "
            + "the endpoint does not sort keys as S3 does, so no diff can be trusted"
    }
}
