@testable import Backup
import Foundation
import Queue
import S3
import TestSupport
import Testing

@Suite("Object Lock policy and the runs that keep it", .timeLimit(.minutes(1)))
struct LockPolicyTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let day: TimeInterval = 86_400

    @Test(arguments: [(1, 1), (2, 1), (3, 2), (30, 15), (31, 16), (36_500, 18_250)])
    func aLockIsWrittenForDaysPlusHalfAsManyAndExtendedADayBeforeItFallsShort(days: Int, renewal: Int) {
        let policy = LockPolicy(mode: .governance, days: days)
        #expect(policy.renewalDays == renewal)
        #expect(policy.retention(at: now) == ObjectRetention(mode: .governance, until: now + Double(days + renewal) * day))
        #expect(policy.extensionDue(at: now) == now + Double(days + 1) * day)
    }

    @Test func anExtensionNeverShortensNorWeakensALock() {
        let governance = LockPolicy(mode: .governance, days: 30), compliance = LockPolicy(mode: .compliance, days: 30)
        let wanted = now + 45 * day
        let table: [(LockPolicy, ObjectRetention?, ObjectRetention)] = [
            (governance, nil, ObjectRetention(mode: .governance, until: wanted)),
            (governance, ObjectRetention(mode: .governance, until: now + 3 * day), ObjectRetention(mode: .governance, until: wanted)),
            (governance, ObjectRetention(mode: .governance, until: now + 200 * day), ObjectRetention(mode: .governance, until: now + 200 * day)),
            (governance, ObjectRetention(mode: .compliance, until: now + 3 * day), ObjectRetention(mode: .compliance, until: wanted)),
            (compliance, ObjectRetention(mode: .governance, until: now + 3 * day), ObjectRetention(mode: .compliance, until: wanted)),
        ]
        for (index, (policy, held, extended)) in table.enumerated() {
            #expect(policy.extended(held, at: now) == extended, "row \(index)")
        }
    }

    @Test func theBucketsTagsRecordAPolicyOrNoneButNeverOneBadly() throws {
        let tag = { (key: String, value: String) in Tag(key: key, value: value) }
        #expect(try LockPolicy.recorded(in: [tag("team", "ops")], bucket: "b") == nil)
        let recorded = [tag("s3backup:object-lock-mode", "COMPLIANCE"), tag("s3backup:retention-days", "90")]
        #expect(try LockPolicy.recorded(in: recorded, bucket: "b") == LockPolicy(mode: .compliance, days: 90))
        #expect(LockPolicy(mode: .compliance, days: 90).tags == recorded)
        for bad in [[tag("s3backup:object-lock-mode", "forever"), tag("s3backup:retention-days", "90")],
                    [tag("s3backup:object-lock-mode", "GOVERNANCE"), tag("s3backup:retention-days", "0")],
                    [tag("s3backup:object-lock-mode", "GOVERNANCE"), tag("s3backup:retention-days", "36501")],
                    [tag("s3backup:object-lock-mode", "GOVERNANCE")], [tag("s3backup:retention-days", "30")]] {
            #expect(throws: SetupError.self, "\(bad)") { try LockPolicy.recorded(in: bad, bucket: "b") }
        }
    }

    /// A run extends the locks that come due and records each version's date: the one it extends to, or a later one
    /// the version already holds (someone extended it further), which it keeps.
    @Test func aRunExtendsLocksThatComeDueAndKeepsLongerOnes() async throws {
        var fixture = StoreFixture()
        try await fixture.store.enableObjectLock("backup")
        fixture.parameters.lock = LockPolicy(mode: .governance, days: 30)
        for key in ["a", "b", "c"] { try fixture.source(key, "body of \(key)") }
        let first = try await fixture.work()
        #expect(first.dead.isEmpty && first.outcome.copied == 3, "\(first.dead)")

        let pair = fixture.parameters.pair
        let later = Date() + 200 * day, soon = Date() + 5 * day
        let a = try #require(try await first.queue.catalogEntry(pair: pair, key: "a"))
        try await fixture.store.putObjectRetention(bucket: "backup", key: "bk/a", versionID: a.backupVersion,
                                                   retention: ObjectRetention(mode: .governance, until: later))
        var due = [a, try #require(try await first.queue.catalogEntry(pair: pair, key: "b"))]
        for index in due.indices { due[index].retainUntil = soon }
        try await first.queue.record(CatalogChanges(pair: pair, recorded: due))

        let before = Date()
        let second = try await fixture.work(in: (first.queue, first.directory))
        #expect(second.dead.isEmpty && second.outcome.copied == 0 && second.outcome.locksExtended == 2, "\(second.outcome)")
        let heldA = try await fixture.store.headObject(bucket: "backup", key: "bk/a").retention
        #expect(heldA == ObjectRetention(mode: .governance, until: later), "not shortened")
        let heldB = try #require(try await fixture.store.headObject(bucket: "backup", key: "bk/b").retention)
        #expect(heldB.until >= before + 44 * day, "extended to days + renewal ahead: \(heldB)")
        #expect(try await first.queue.catalogEntry(pair: pair, key: "a")?.retainUntil == heldA?.until)
        #expect(try await first.queue.catalogEntry(pair: pair, key: "b")?.retainUntil == heldB.until)
        #expect(try await first.queue.locksDue(pair: pair, before: Date() + 31 * day, after: nil, limit: 10).isEmpty)
    }

    /// A backup copied before the catalog, or by another tool, holds current versions the catalog has no row of: a
    /// locked run locks each (unless it changed since listed) and records its row, so later runs extend it.
    @Test func aLockedRunLocksAndRecordsVersionsTheCatalogDoesNotKnow() async throws {
        var fixture = StoreFixture()
        try await fixture.store.enableObjectLock("backup")
        fixture.parameters.lock = LockPolicy(mode: .governance, days: 30)
        for key in ["a", "b"] {
            try fixture.source(key, "body of \(key)")
            try fixture.backup(key, "body of \(key)")
        }
        let before = Date()
        let first = try await fixture.work()
        #expect(first.dead.isEmpty && first.outcome.copied == 0 && first.outcome.locksExtended == 2, "\(first.outcome)")
        let pair = fixture.parameters.pair
        for key in ["a", "b"] {
            let held = try #require(try await fixture.store.headObject(bucket: "backup", key: "bk/" + key).retention, "\(key)")
            #expect(held.mode == .governance && held.until >= before + 44 * day)
            let row = try #require(try await first.queue.catalogEntry(pair: pair, key: key))
            #expect(row.retainUntil == held.until && row.backupVersion == fixture.store.versions(bucket: "backup", key: "bk/" + key).first?.versionID)
        }
        let second = try await fixture.work(in: (first.queue, first.directory))
        #expect(second.outcome.locksExtended == 0 && second.outcome.copied == 0, "nothing due, nothing without a row: \(second.outcome)")
    }
}
