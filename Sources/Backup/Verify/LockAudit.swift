import Foundation
import Queue
import S3

/// The tamper report of a backup under Object Lock: one ListObjectVersions pass over the backup, each version still
/// owed a lock (`LockRule`) asked for its retention (HeadObject of the version), and each delete marker looked up among
/// those the queue's catalog says s3backup's runs placed. It names versions left unlocked or locked too briefly, which
/// an attacker could delete or a stolen key could have written, and delete markers nobody's run placed, which hide a
/// key from a restore of the latest state.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-view
public struct LockAudit: Sendable {
    /// The policy the backup records.
    public var policy: LockPolicy
    /// The backup.
    public var backup: any ObjectStore
    /// The backup's location.
    public var url: S3URL
    /// The location pair the catalog knows the backup by (`RunParameters.pair`).
    public var pair: String
    /// The queue's catalog, which knows the delete markers s3backup placed; nil: markers are counted, not judged.
    public var catalog: (any CatalogStore)?

    /// HeadObject requests in flight at once.
    static let width = 16

    /// An audit of `url` on `backup` by `policy`, its markers judged by `catalog` when given.
    public init(policy: LockPolicy, backup: any ObjectStore, url: S3URL, pair: String, catalog: (any CatalogStore)?) {
        self.policy = policy
        self.backup = backup
        self.url = url
        self.pair = pair
        self.catalog = catalog
    }

    /// One version or delete marker the report names.
    public struct Entry: Codable, Sendable, Equatable {
        /// The key, relative to the backup's prefix.
        public var key: String
        /// The version id.
        public var version: String
        /// When it was written (a delete marker: placed), as S3 lists it.
        public var lastModified: String
        /// The lock it holds: its mode and retain-until date (nil for none).
        public var mode: ObjectLockMode?, retainUntil: Date?
        /// The moment its lock is owed until; nil for a delete marker.
        public var owedUntil: Date?

        /// `"key" (version V, written 2026-…)`, with its lock and what it owes when it has them.
        var text: String {
            var parts = ["version \(version)", "\(owedUntil == nil ? "placed" : "written") \(lastModified)"]
            if let mode, let retainUntil { parts.append("\(mode.rawValue) until \(S3Time.string(retainUntil))") }
            if let owedUntil { parts.append("owed until \(S3Time.string(owedUntil))") }
            return "\(key.debugDescription) (\(parts.joined(separator: ", ")))"
        }
    }

    /// The first entries of one kind, in the listing's order (key bytes, newest first), and how many there are.
    public struct Entries: Codable, Sendable, Equatable {
        /// The entries kept.
        public var first: [Entry] = []
        /// How many there are in all.
        public var total = 0

        /// Counts `entry`, keeping it while fewer than `keep` are.
        mutating func add(_ entry: Entry, keep: Int) {
            total += 1
            if first.count < keep { first.append(entry) }
        }

        /// The first `limit` named, and how many more there are.
        func text(limit: Int = KeySample.textLimit) -> String {
            let named = first.prefix(limit).map(\.text).joined(separator: ", ")
            let more = total - min(limit, first.count)
            return more == 0 ? named : named + " … and \(more) more (\(KeySample.whereAllAre))"
        }
    }

    /// What the audit found.
    public struct Findings: Codable, Sendable, Equatable {
        /// The policy versions were judged by.
        public var policy: LockPolicy
        /// Object versions listed.
        public var versions = 0
        /// Of those, the ones still owed a lock, asked for their retention (the others' lock windows have passed).
        public var checked = 0
        /// Versions owed a lock that were listed but gone when asked (a lifecycle rule or a delete in between, or a key
        /// the listing could not carry intact).
        public var vanished = 0
        /// Versions owed a lock that hold none.
        public var unlocked = Entries()
        /// Versions locked until too soon, or in governance mode where the policy asks for compliance.
        public var short = Entries()
        /// Delete markers listed.
        public var markers = 0
        /// Delete markers placed after the queue began recording its own, and not among them.
        public var foreignMarkers = Entries()
        /// Delete markers not judged: placed before the queue recorded its own, or every one without a queue.
        public var markersUnjudged = 0

        /// Findings for `policy`, none yet.
        init(policy: LockPolicy) { self.policy = policy }

        /// Whether nothing was found.
        public var clean: Bool { unlocked.total == 0 && short.total == 0 && foreignMarkers.total == 0 }

        /// Lines for a person: the counts, then the first entries of each kind found.
        public var lines: [String] {
            var lines = ["object lock (\(policy)): \(versions) versions, \(checked + vanished) still owed a lock: "
                + "\(unlocked.total) not locked, \(short.total) locked too briefly" + (vanished == 0 ? "" : ", \(vanished) gone when asked")
                + "; \(markers) delete markers: \(foreignMarkers.total) nobody's run placed"
                + (markersUnjudged == 0 ? "" : ", \(markersUnjudged) not judged (placed before the queue recorded its own, or no --db)")]
            for (name, entries) in [("not locked", unlocked), ("locked too briefly", short),
                                    ("delete markers nobody's run placed", foreignMarkers)] where entries.total > 0 {
                lines.append("  \(name): " + entries.text())
            }
            return lines
        }
    }

    /// Lists the backup's versions and judges each as of `now`, keeping the first `keep` entries of each kind found.
    public func run(at now: Date = Date(), keep: Int = KeySample.textLimit) async throws -> Findings {
        var findings = Findings(policy: policy)
        var rule = LockRule(policy: policy, now: now)
        var recorded = catalog.map { RecordedMarkers(catalog: $0, pair: pair) }
        let since = try await catalog?.deleteMarkersRecordedSince()
        for try await page in backup.listObjectVersions(bucket: url.bucket, prefix: url.prefix) {
            var owed: [(version: ObjectVersion, until: Date)] = []
            for version in page.versions {
                switch try rule.need(version) {
                case .marker:
                    findings.markers += 1
                    guard let since, let placed = S3Time.parse(version.lastModified), placed >= since else {
                        findings.markersUnjudged += 1
                        continue
                    }
                    let key = Planner.relative(version.key, to: url.prefix)
                    if try await recorded?.versions(of: key).contains(version.versionID) != true {
                        findings.foreignMarkers.add(Entry(key: key, version: version.versionID, lastModified: version.lastModified),
                                                    keep: keep)
                    }
                case .lockedUntil(let until):
                    findings.versions += 1
                    owed.append((version, until))
                case .nothing:
                    findings.versions += 1
                }
            }
            let locks = try await retentions(of: owed.map(\.version))
            for (index, (version, until)) in owed.enumerated() {
                guard let lock = locks[index] else {
                    findings.vanished += 1
                    continue
                }
                findings.checked += 1
                let verdict = rule.verdict(lock, owed: until)
                guard verdict != .held else { continue }
                let entry = Entry(key: Planner.relative(version.key, to: url.prefix), version: version.versionID,
                                  lastModified: version.lastModified, mode: lock?.mode, retainUntil: lock?.until, owedUntil: until)
                if verdict == .unlocked { findings.unlocked.add(entry, keep: keep) } else { findings.short.add(entry, keep: keep) }
            }
        }
        return findings
    }

    /// Each version's lock (nil: none) as HeadObject of the version tells it, by its index in `versions`; a version
    /// gone since the listing has no index.
    private func retentions(of versions: [ObjectVersion]) async throws -> [Int: ObjectRetention?] {
        let found = LockedBox([Int: ObjectRetention?]())
        try await forEachConcurrently(Array(versions.enumerated()), width: Self.width) { index, version in
            do {
                let info = try await backup.headObject(bucket: url.bucket, key: version.key, versionID: version.versionID)
                found.mutate { $0[index] = .some(info.retention) }
            } catch let error as S3Error where error.status == 404 {
                return
            }
        }
        return found.value
    }
}

/// The delete markers the catalog records for a pair, read in key order alongside a version listing: the rows of one
/// key at a time, so memory holds one key's markers whatever the catalog's size.
struct RecordedMarkers {
    let catalog: any CatalogStore
    let pair: String
    /// Rows read and not yet passed, in key byte order.
    private var rows: ArraySlice<(key: String, version: String)> = []
    /// The last row read; nil before the first.
    private var last: (key: String, version: String)?
    /// Whether every row has been read.
    private var exhausted = false
    /// The key asked last and its markers' versions (a key may have several markers in the listing).
    private var asked: (key: String, versions: Set<String>)?

    /// Rows read at a time.
    let window: Int

    /// The markers of `pair` in `catalog`, read `window` rows at a time.
    init(catalog: any CatalogStore, pair: String, window: Int = 1_000) {
        precondition(window >= 1, "a window of at least one row")
        self.catalog = catalog
        self.pair = pair
        self.window = window
    }

    /// The version ids of the markers recorded for `key`; keys must be asked in ascending byte order.
    mutating func versions(of key: String) async throws -> Set<String> {
        if let asked, asked.key.utf8.elementsEqual(key.utf8) { return asked.versions }
        var versions = Set<String>()
        while true {
            while let row = rows.first, row.key.utf8.lexicographicallyPrecedes(key.utf8) { rows.removeFirst() }
            while let row = rows.first, row.key.utf8.elementsEqual(key.utf8) {
                versions.insert(row.version)
                rows.removeFirst()
            }
            guard rows.isEmpty, !exhausted else { break }
            let read = try await catalog.deleteMarkers(pair: pair, after: last, limit: window)
            exhausted = read.count < window
            last = read.last ?? last
            rows = read[...]
        }
        asked = (key, versions)
        return versions
    }
}
