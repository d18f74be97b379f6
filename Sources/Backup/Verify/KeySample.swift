/// The first keys of one kind (to copy, missing in the backup, …) and how many there are in all: a check names what
/// it found without holding millions of keys when everything differs.
public struct KeySample: Codable, Sendable, Equatable {
    /// The keys kept, at most the limit the sample was taken with, in byte order.
    public var keys: [String]
    /// How many keys of this kind there are in all.
    public var total: Int

    /// Keys shown in text (reports, mails, the terminal).
    public static let textLimit = 20
    /// Keys kept for `--json`: every key up to this many of each kind (about 10 MB of keys at most), so memory stays
    /// bounded on a bucket of millions; `total` above `keys.count` tells that some were left out.
    public static let jsonLimit = 100_000

    /// A sample of `keys` (the kept ones, put in byte order) out of `total`.
    public init(keys: [String], total: Int) {
        self.keys = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        self.total = max(total, keys.count)
    }

    /// The sample with only its first `count` keys (in byte order) kept; the total stays.
    public func first(_ count: Int) -> KeySample {
        var sample = self
        sample.keys = Array(keys.prefix(count))
        return sample
    }

    /// None.
    public static let empty = KeySample(keys: [], total: 0)

    /// The first `limit` keys quoted (escaped, so every control character shows) and what is left:
    /// `"a", "b" … and 312 more (the first 20 are shown; --json lists up to 100,000)`. Empty when no key was kept.
    public func text(limit: Int = KeySample.textLimit) -> String {
        let shown = keys.prefix(limit)
        guard !shown.isEmpty else { return "" }
        let list = shown.map(\.debugDescription).joined(separator: ", ")
        let more = total - shown.count
        return more == 0 ? list : list + " … and \(more) more (the first \(limit) are shown; \(KeySample.whereAllAre))"
    }

    /// Where a reader finds the keys text leaves out.
    static let whereAllAre = "--json lists up to 100,000 of each kind"
}
