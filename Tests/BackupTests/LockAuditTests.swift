@testable import Backup
import Foundation
import Queue
import S3
import TestSupport
import Testing

@Suite("The tamper report of a locked backup", .timeLimit(.minutes(1)))
struct LockAuditTests {
    let policy = LockPolicy(mode: .governance, days: 30)
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let day: TimeInterval = 86_400

    func entry(_ key: String, _ version: String, at moment: Date, latest: Bool = false, marker: Bool = false) -> ObjectVersion {
        ObjectVersion(key: key, versionID: version, isLatest: latest, isDeleteMarker: marker, lastModified: S3Time.string(moment),
                      etag: marker ? nil : ETag("e"), size: marker ? 0 : 1, storageClass: marker ? nil : "STANDARD")
    }

    /// The current version owes `days` ahead of now; a noncurrent one `days` past its successor (the next newer entry
    /// of its key, a delete marker too), until that moment has gone; a day's slack either way.
    @Test func eachEntryOwesALockFromItsPlaceInTheListing() throws {
        var rule = LockRule(policy: policy, now: now)
        let owed = { (moment: Date) in LockRule.Need.lockedUntil(moment.addingTimeInterval(30 * day - LockRule.slack)) }
        let table: [(ObjectVersion, LockRule.Need)] = [
            (entry("a", "a3", at: now - 2 * day, latest: true), owed(now)),
            (entry("a", "a2", at: now - 5 * day), owed(now - 2 * day)),
            (entry("a", "a1", at: now - 40 * day), owed(now - 5 * day)),
            (entry("b", "bm", at: now - 10 * day, latest: true, marker: true), .marker),
            (entry("b", "b2", at: now - 12 * day), owed(now - 10 * day)),
            (entry("c", "cm", at: now - 31 * day, latest: true, marker: true), .marker),
            (entry("c", "c1", at: now - 60 * day), .nothing),
            (entry("caf\u{E9}", "d1", at: now, latest: true), owed(now)),
        ]
        for (version, need) in table { #expect(try rule.need(version) == need, "\(version.key) \(version.versionID)") }
    }

    @Test func aListingOutOfOrderOrANoncurrentVersionFirstStopsTheReport() throws {
        var rule = LockRule(policy: policy, now: now)
        _ = try rule.need(entry("\u{E9}t\u{E9}", "1", at: now, latest: true))
        #expect(throws: ListingOrderError.self) { try rule.need(entry("z", "2", at: now, latest: true)) }
        var fresh = LockRule(policy: policy, now: now)
        #expect(throws: S3Error.self) { try fresh.need(entry("a", "1", at: now)) }
        _ = try fresh.need(entry("a", "2", at: now, latest: true))
        #expect(throws: S3Error.self, "another key's first entry must be its latest") { try fresh.need(entry("b", "1", at: now)) }
    }

    @Test func aLockHoldsWhenItLastsLongEnoughInAModeAtLeastAsStrict() {
        let owed = now.addingTimeInterval(29 * day)
        let governance = LockRule(policy: policy, now: now)
        let compliance = LockRule(policy: LockPolicy(mode: .compliance, days: 30), now: now)
        let table: [(LockRule, ObjectRetention?, LockRule.Verdict)] = [
            (governance, nil, .unlocked),
            (governance, ObjectRetention(mode: .governance, until: owed), .held),
            (governance, ObjectRetention(mode: .governance, until: owed.addingTimeInterval(-0.5)), .held),
            (governance, ObjectRetention(mode: .governance, until: owed.addingTimeInterval(-2)), .short),
            (governance, ObjectRetention(mode: .compliance, until: owed), .held),
            (compliance, ObjectRetention(mode: .governance, until: owed + 10 * day), .short),
            (compliance, ObjectRetention(mode: .compliance, until: owed), .held),
        ]
        for (index, (rule, retention, verdict)) in table.enumerated() {
            #expect(rule.verdict(retention, owed: owed) == verdict, "row \(index)")
        }
    }

    /// A backup with every kind of entry: versions locked long enough, unlocked, locked too briefly, noncurrent ones
    /// under ours and under a foreign delete marker, one whose lock window has passed, and a marker from before the
    /// queue recorded its own.
    @Test func theReportNamesUnlockedAndShortVersionsAndForeignMarkers() async throws {
        let store = InMemoryObjectStore(start: Date().addingTimeInterval(-60 * day))
        store.createBucket("backup")
        try await store.enableObjectLock("backup")
        let url = try S3URL("s3://backup/nightly/")
        func put(_ key: String, lockedFor days: Double?) throws {
            let retention = days.map { ObjectRetention(mode: .governance, until: store.now.addingTimeInterval($0 * day)) }
            _ = try store.put("backup", "nightly/" + key, Array(key.utf8), options: WriteOptions(retention: retention))
        }
        // Sixty days ago: a version superseded then (nothing owed now), and a marker placed before the queue existed.
        try put("old", lockedFor: nil)
        try put("old", lockedFor: 105)
        try put("early", lockedFor: 45)
        try await store.deleteObject(bucket: "backup", key: "nightly/early", versionID: nil)

        let directory = try TemporaryDirectory()
        let queue = try SQLiteQueue(path: directory.path + "/queue.db")
        store.advanceClock(to: Date().addingTimeInterval(2))
        try put("held", lockedFor: 45)
        try put("unlocked", lockedFor: nil)
        try put("short", lockedFor: 10)
        for key in ["ours", "foreign"] {
            try put(key, lockedFor: 45)
            try await store.deleteObject(bucket: "backup", key: "nightly/" + key, versionID: nil)
        }
        let pair = "s3://primary -> s3://backup/nightly/"
        let ours = try #require(store.versions(bucket: "backup", key: "nightly/ours").first { $0.isDeleteMarker })
        try await queue.record(CatalogChanges(pair: pair, markers: [(key: "ours", version: ours.versionID)]))

        let audit = LockAudit(policy: policy, backup: store, url: url, pair: pair, catalog: queue)
        let findings = try await audit.run(at: store.now)
        #expect(findings.versions == 8 && findings.checked == 6, "the versions superseded 60 days ago owe nothing")
        #expect(findings.unlocked.first.map(\.key) == ["unlocked"] && findings.unlocked.total == 1)
        #expect(findings.short.first.map(\.key) == ["short"] && findings.short.first.first?.mode == .governance)
        #expect(findings.markers == 3 && findings.markersUnjudged == 1)
        #expect(findings.foreignMarkers.first.map(\.key) == ["foreign"] && findings.foreignMarkers.total == 1)
        #expect(!findings.clean)
        let text = findings.lines.joined(separator: "\n")
        #expect(text.contains("8 versions, 6 still owed a lock: 1 not locked, 1 locked too briefly; 3 delete markers: "
            + "1 nobody's run placed, 1 not judged"), "\(text)")
        #expect(text.contains("not locked: \"unlocked\" (version "))

        let unjudged = try await LockAudit(policy: policy, backup: store, url: url, pair: pair, catalog: nil).run(at: store.now)
        #expect(unjudged.markersUnjudged == 3 && unjudged.foreignMarkers.total == 0, "without a queue no marker is judged")
    }

    /// The catalog's markers are read alongside the listing, a window at a time, a key's markers gathered across windows.
    @Test func recordedMarkersAreReadAlongsideTheListing() async throws {
        let directory = try TemporaryDirectory()
        let queue = try SQLiteQueue(path: directory.path + "/queue.db")
        let marks = [("b", "1"), ("b", "2"), ("b", "3"), ("c", "4"), ("\u{E9}", "5")]
        try await queue.record(CatalogChanges(pair: "p", markers: marks.map { (key: $0.0, version: $0.1) }))
        var recorded = RecordedMarkers(catalog: queue, pair: "p", window: 2)
        for (key, versions) in [("a", []), ("b", ["1", "2", "3"]), ("b", ["1", "2", "3"]), ("bb", []), ("c", ["4"]),
                                ("z", []), ("\u{E9}", ["5"]), ("\u{E9}\u{E9}", [])] as [(String, Set<String>)] {
            #expect(try await recorded.versions(of: key) == versions, "\(key)")
        }
    }
}
