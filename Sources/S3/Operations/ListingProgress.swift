import SigV4

/// What makes a listing end when the server does not: every truncated page must move the listing on, or the listing
/// is an error instead of a loop. A provider that answered the same continuation token again once made `ls` send
/// 316 requests in 10 seconds until it was killed.
///
/// A ListObjectsV2 token is opaque, so progress is read from the entries: S3 lists keys and common prefixes in
/// ascending UTF-8 byte order, so each page must reach past everything listed before. A ListObjectVersions page
/// moves on when its NextKeyMarker is after the key marker it was asked with; one key's versions may fill many pages,
/// each with the same key marker and a new version-id marker. Pages that list nothing new are allowed (S3 answers
/// such pages while it skips delete markers) as long as their positions never repeat, up to `maxPagesWithoutProgress`
/// in a row. Positions are kept as digests, so memory stays small whatever the server sends.
struct ListingProgress: Sendable {
    /// Truncated pages in a row that may list nothing new. A few happen while S3 skips delete markers; ten thousand in
    /// a row would be some ten million skipped at a thousand a page.
    static let maxPagesWithoutProgress = 10_000

    private let operation: String
    private let bucket: String
    private let prefix: String
    /// The greatest entry listed so far (ListObjectsV2).
    private var greatest: String?
    /// Digests of the positions asked from or answered since the listing last moved on.
    private var seen: Set<[UInt8]> = []
    private var pagesWithoutProgress = 0

    /// The guard of one listing of `prefix` in `bucket`.
    init(operation: String, bucket: String, prefix: String) {
        self.operation = operation
        self.bucket = bucket
        self.prefix = prefix
    }

    /// Checks a truncated ListObjectsV2 page asked with `sent` (nil for the first) that listed `entries` (keys and
    /// common prefixes) and continues with `next`.
    mutating func objectsPage(entries: [String], sent: String?, next: String) throws {
        var pageGreatest: String?
        for entry in entries where pageGreatest.map({ Self.precedes($0, entry) }) ?? true { pageGreatest = entry }
        var advanced = false
        if let pageGreatest {
            if let greatest, !Self.precedes(greatest, pageGreatest) {
                throw stop("the page asked with token \(quoted(sent)) lists nothing after \(UntrustedText.quoted(greatest)), "
                    + "where the pages before it ended, so the listing is going round")
            }
            greatest = pageGreatest
            advanced = true
        }
        try record(sent: sent, next: next, advanced: advanced, shown: "token \(quoted(next))")
    }

    /// Checks a truncated ListObjectVersions page asked with `sentKey`/`sentVersion` (nil for the first page) that
    /// continues with `nextKey`/`nextVersion`.
    mutating func versionsPage(sentKey: String?, sentVersion: String?, nextKey: String, nextVersion: String?) throws {
        let from = sentKey ?? ""
        if Self.precedes(nextKey, from) {
            throw stop("the page asked with key-marker \(UntrustedText.quoted(from)) continues at the earlier key-marker "
                + "\(UntrustedText.quoted(nextKey)), so the listing is going round")
        }
        try record(sent: sentKey.map { Self.position($0, sentVersion) }, next: Self.position(nextKey, nextVersion),
                   advanced: Self.precedes(from, nextKey),
                   shown: "key-marker \(UntrustedText.quoted(nextKey)) and version-id-marker \(quoted(nextVersion))")
    }

    /// Whether `a` sorts before `b` as S3 lists keys: by UTF-8 bytes.
    static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    private static func position(_ key: String, _ version: String?) -> String { key + "\u{0}" + (version ?? "") }

    private mutating func record(sent: String?, next: String, advanced: Bool, shown: String) throws {
        if advanced {
            seen.removeAll(keepingCapacity: true)
            pagesWithoutProgress = 0
        } else {
            pagesWithoutProgress += 1
            guard pagesWithoutProgress <= Self.maxPagesWithoutProgress else {
                throw stop("\(Self.maxPagesWithoutProgress) pages in a row, the last continuing with \(shown), listed "
                    + "nothing new")
            }
        }
        if let sent { seen.insert(Digest.sha256(sent.utf8)) }
        guard seen.insert(Digest.sha256(next.utf8)).inserted else {
            throw stop("the listing continues with \(shown), which it was at already, so it would never end")
        }
    }

    private func quoted(_ text: String?) -> String { text.map { UntrustedText.quoted($0) } ?? "(none)" }

    private func stop(_ what: String) -> S3Error {
        S3Error(.invalidResponse, "listing prefix \(prefix.debugDescription): \(what); it was stopped instead. The "
            + "endpoint is broken, or something between us and it rewrote its answers: report this to the provider "
            + "with the position above, and reach the endpoint over https", operation: operation, bucket: bucket)
    }
}
