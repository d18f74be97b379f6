@testable import Backup
import Foundation
import Queue
import S3
import TestSupport
import Testing

/// Archived sources, as S3 documents them: GLACIER and DEEP_ARCHIVE named by the listing, Intelligent-Tiering's
/// archive tiers only by HeadObject, retrievals that take a while, and a retrieval asked for once.
@Suite("archived objects: retrieved once, waited for without a lease, or named", .timeLimit(.minutes(1)))
struct ArchiveRetrievalTests {
    /// A fixture whose primary holds `glacier` and `deep` in those classes, `tiered` in Intelligent-Tiering's Archive
    /// Access tier and `plain` in STANDARD, none in the backup.
    private func archivedFixture() throws -> StoreFixture {
        let fixture = StoreFixture()
        try fixture.source("glacier", "in glacier", options: WriteOptions(storageClass: "GLACIER"))
        try fixture.source("deep", "in deep archive", options: WriteOptions(storageClass: "DEEP_ARCHIVE"))
        try fixture.source("tiered", "in the archive access tier", options: WriteOptions(storageClass: "INTELLIGENT_TIERING"))
        try fixture.store.archiveInIntelligentTiering("primary", "data/tiered")
        try fixture.source("plain", "readable")
        return fixture
    }

    private func check(_ fixture: StoreFixture, _ retrieval: ArchiveRetrieval?) throws -> ArchiveCheck {
        ArchiveCheck(source: fixture.store, sourceURL: try fixture.parameters.source.location(), retrieval: retrieval)
    }

    @Test func theCheckAsksOnceAndTellsEachState() async throws {
        let fixture = try archivedFixture()
        fixture.store.retrievalsTake(heads: 1)
        let check = try check(fixture, ArchiveRetrieval(tier: .standard, days: 2))
        let glacier = try await fixture.listed("glacier")
        #expect(glacier.storageClass == "GLACIER", "the listing's class travels with the task")
        #expect(try await fixture.listed("plain").storageClass == nil, "a class never archived costs no HEAD")
        guard case .waiting(let request?) = try await check.readiness(of: glacier) else { Issue.record("asked"); return }
        #expect(request.bytes == 10 && request.cost > 0)
        #expect(try await check.readiness(of: glacier) == .waiting(request: nil), "under way: not asked again")
        #expect(try await check.readiness(of: glacier) == .readable(retrieved: true))
        #expect(try fixture.store.retrievalRequests("primary", "data/glacier") == 1)
        #expect(try await check.readiness(of: try await fixture.listed("plain")) == .readable(retrieved: false))
    }

    @Test func intelligentTieringIsSeenOnHeadAndRetrievedWithoutDays() async throws {
        let fixture = try archivedFixture()
        let tiered = try await fixture.listed("tiered")
        #expect(tiered.storageClass == "INTELLIGENT_TIERING")
        // The store refuses Days for Intelligent-Tiering, as S3 does: a request with them would throw.
        let outcome = try await check(fixture, ArchiveRetrieval()).readiness(of: tiered)
        #expect(outcome == .waiting(request: ArchiveCheck.Request(bytes: 26, cost: 0)), "Standard from Archive Access is free")
        #expect(try await check(fixture, ArchiveRetrieval()).readiness(of: tiered) == .readable(retrieved: true))
    }

    @Test func deepArchiveHasNoExpeditedAndSaysSo() async throws {
        let fixture = try archivedFixture()
        await #expect { try await check(fixture, ArchiveRetrieval(tier: .expedited)).readiness(of: try await fixture.listed("deep")) }
            throws: { error in
                let error = try #require(error as? S3Error)
                return error.kind == .configuration && "\(error)".contains("DEEP_ARCHIVE has no Expedited retrieval")
                    && "\(error)".contains("--archive-tier Standard or Bulk")
            }
        #expect(try fixture.store.retrievalRequests("primary", "data/deep") == 0, "no silent fallback to another tier")
    }

    @Test func aRunThatDoesNotRetrieveNamesWhatItLeft() async throws {
        let fixture = try archivedFixture()
        let worked = try await fixture.work()
        #expect(worked.dead.isEmpty)
        #expect(worked.outcome.copied == 1 && Set(worked.outcome.archivedNotCopied) == ["glacier", "deep", "tiered"])
        #expect(worked.changes.contains { $0.hasPrefix("not copied \"bk/deep\": archived in the source (DEEP_ARCHIVE)") })
        for key in ["glacier", "deep", "tiered"] { #expect(try fixture.store.retrievalRequests("primary", "data/" + key) == 0) }
        let report = try await BackupReport.load(queue: worked.queue, run: worked.run)
        #expect(report.verdict == .partial && report.failure == .partial)
        #expect(report.text.contains("archived in the primary, not copied: 3 (retrieve them, or run with --restore-archived)"))
        #expect(report.text.contains("    \"deep\"\n"))
        #expect(ReportPage.html(report).contains("<td>Archived in the primary, not copied</td><td>3 (retrieve them, or run with "
                                                 + "--restore-archived): &quot;deep&quot;, &quot;glacier&quot;, &quot;tiered&quot;</td>"))
    }

    /// Retrievals that stay under way for three HEADs: the task is parked between checks (no lease held), each
    /// object is asked for once, and every body arrives.
    @Test func aRunThatRetrievesParksItsTaskAndCopiesEachObjectOnceReady() async throws {
        var fixture = try archivedFixture()
        fixture.parameters.retrieval = ArchiveRetrieval(tier: .bulk, days: 1)
        fixture.store.retrievalsTake(heads: 3)
        let worked = try await fixture.work(retrievalCheck: .milliseconds(20))
        #expect(worked.dead.isEmpty)
        #expect(worked.outcome.copied == 4 && worked.outcome.retrieved == 3 && worked.outcome.retrievalsRequested == 3)
        #expect(worked.outcome.archivedNotCopied.isEmpty)
        for key in ["glacier", "deep", "tiered", "plain"] {
            #expect(fixture.store.body(bucket: "backup", key: "bk/" + key) == fixture.store.body(bucket: "primary", key: "data/" + key))
        }
        for key in ["glacier", "deep", "tiered"] { #expect(try fixture.store.retrievalRequests("primary", "data/" + key) == 1) }
        let report = try await BackupReport.load(queue: worked.queue, run: worked.run)
        #expect(report.verdict == .success && report.retrievalTier == .bulk)
        #expect(report.text.contains("archives: 3 retrieval(s) asked (Bulk, "), "\(report.text)")
        #expect(ReportPage.html(report).contains("<td>Archives</td><td>3 retrieval(s) asked (Bulk, "))
        #expect(try await worked.queue.waiting(run: nil) == Waiting())
    }

    @Test func aParkedTaskHoldsNoLeaseAndWaitsUntilItsCheck() async throws {
        let directory = try TemporaryDirectory()
        let queue = try SQLiteQueue(path: directory.path + "/queue.db")
        let run = try await queue.createRun(kind: "restore", source: "s3://a/", destination: "s3://b/", parameters: "{}")
        try await queue.setRunState(run, .running, note: nil)
        _ = try await queue.enqueue([NewTask(kind: "copy", uniqueKey: "t", payload: [1])], run: run, held: false)
        let claimed = try #require(try await queue.claim(worker: "w", limit: 1).first)
        let due = Date().addingTimeInterval(3_600)
        try await queue.park(claimed.lease, until: due, payload: [2], result: [3], waitingFor: 7)
        let waiting = try await queue.waiting(run: run)
        #expect(waiting.tasks == 1 && waiting.objects == 7)
        #expect(abs((waiting.nextCheck ?? .distantPast).timeIntervalSince(due)) < 0.01)
        #expect(try await queue.claim(worker: "w", limit: 1).isEmpty, "not claimable before its check")
        #expect(try await queue.outstanding(run: run) == 1, "still work of the run")
        #expect(try await queue.results(run: run).map(\.result) == [[3]], "what it did so far counts while it waits")
        await #expect(throws: QueueError.self) { try await queue.park(claimed.lease, until: due, payload: [3], result: [], waitingFor: 1) }
    }

    @Test func checksGrowAndStopGrowingAtHalfAnHour() {
        let first = Duration.seconds(60)
        #expect((1...7).map { ArchiveCheck.nextCheck(after: $0, first: first) }
                    == [60, 120, 240, 480, 960, 1_800, 1_800].map { Duration.seconds($0) })
        #expect(ArchiveCheck.nextCheck(after: 1_000, first: .seconds(1)) == .seconds(1_800))
    }

    @Test func theHeaderSaysWhetherARetrievalIsDone() {
        #expect(RetrievalState(header: "ongoing-request=\"true\"") == .ongoing)
        #expect(RetrievalState(header: "ongoing-request=\"false\", expiry-date=\"Fri, 21 Dec 2012 00:00:00 GMT\"")
                    == .done(expiry: "Fri, 21 Dec 2012 00:00:00 GMT"))
        #expect(RetrievalState(header: "nonsense") == nil)
        #expect(ObjectInfo(size: 1, etag: .none, storageClass: "GLACIER").needsRetrieval)
        #expect(!ObjectInfo(size: 1, etag: .none, storageClass: "GLACIER", retrieval: .done(expiry: nil)).needsRetrieval)
        #expect(ObjectInfo(size: 1, etag: .none, storageClass: "INTELLIGENT_TIERING", archiveStatus: "ARCHIVE_ACCESS").needsRetrieval)
        #expect(!ObjectInfo(size: 1, etag: .none, storageClass: "INTELLIGENT_TIERING").needsRetrieval)
    }

    @Test func pricesFollowTheTable() throws {
        // 1,000 objects of 1 GB (2^30 bytes) from GLACIER at Standard: 1,000 × $0.01 + 1 × $0.05.
        let price = try #require(RetrievalPrices.price(.glacier, .standard))
        #expect(abs(price.cost(objects: 1_000, bytes: 1_000 << 30) - 10.05) < 1e-9)
        #expect(RetrievalPrices.price(.deepArchive, .expedited) == nil && RetrievalPrices.price(.deepArchiveAccess, .expedited) == nil)
        #expect(RetrievalPrices.dollars(0.0042) == "$0.0042" && RetrievalPrices.dollars(10.05) == "$10.05")
        #expect(RetrievalPrices.typicalTimes(.bulk) == "Bulk: typically 5–12 hours from GLACIER, within 48 hours from DEEP_ARCHIVE")
    }

    @Test func aDryRunEstimatesTimeAndCostPerClass() throws {
        let counts: [String: (objects: Int, bytes: Int64)] = ["GLACIER": (1_000, 1_000 << 30), "DEEP_ARCHIVE": (10, 10 << 30),
                                                             "INTELLIGENT_TIERING": (5, 5)]
        let standard = RetrievalEstimate(tier: .standard, counts: counts)
        #expect(standard.shares.map(\.storageClass) == ["GLACIER", "DEEP_ARCHIVE", "INTELLIGENT_TIERING"])
        // GLACIER: 1,000 GB (of 2^30 bytes) × $0.01 + 1 × $0.05; DEEP_ARCHIVE: 10 GB × $0.02 + 0.01 × $0.10.
        #expect(abs((standard.cost ?? 0) - (10.05 + 0.201)) < 1e-9)
        #expect(standard.lines.contains("  GLACIER: 1000 object(s), 1000.0 GiB, typically 3–5 hours, about $10.05"), "\(standard.lines)")
        #expect(standard.lines.contains { $0.hasPrefix("  INTELLIGENT_TIERING: 5 object(s), 5 bytes: those in an archive tier") })
        let expedited = RetrievalEstimate(tier: .expedited, counts: counts)
        #expect(expedited.cost == nil)
        #expect(expedited.lines.contains("  DEEP_ARCHIVE: 10 object(s), 10.0 GiB: S3 has no Expedited retrieval from it; "
                                         + "pass --archive-tier Standard or Bulk"), "\(expedited.lines)")
        #expect(RetrievalEstimate(tier: .bulk, counts: [:]).lines.isEmpty)
    }

    /// A restore as of a moment whose versions were archived since: the old version is retrieved (by its version
    /// id) and copied; the current one is neither read nor asked for.
    @Test func aPointInTimeRestoreRetrievesTheArchivedOldVersion() async throws {
        var fixture = StoreFixture()
        let old = try fixture.source("report", "as it was", options: WriteOptions(storageClass: "DEEP_ARCHIVE"))
        try fixture.source("report", "as it is now, much longer")
        var listed: [ObjectVersion] = []
        for try await page in fixture.store.listObjectVersions(bucket: "primary", prefix: "data/") { listed += page.versions }
        let first = try #require(listed.first { $0.versionID == old.versionID })
        fixture.parameters.asOf = first.lastModified
        fixture.parameters.kind = "restore"
        fixture.parameters.retrieval = ArchiveRetrieval()
        fixture.store.retrievalsTake(heads: 1)
        let worked = try await fixture.work(retrievalCheck: .milliseconds(20))
        #expect(worked.dead.isEmpty && worked.outcome.retrieved == 1 && worked.outcome.retrievalsRequested == 1)
        #expect(fixture.store.body(bucket: "backup", key: "bk/report") == Array("as it was".utf8))
        #expect(try fixture.store.retrievalRequests("primary", "data/report", versionID: old.versionID) == 1)
        #expect(try fixture.store.retrievalRequests("primary", "data/report") == 0)
    }

    @Test func aRunNamesEachKindOfObjectItCouldNotCopy() async throws {
        let fixture = try archivedFixture()
        try fixture.store.encryptWithCustomerKey("primary", "data/plain")
        let worked = try await fixture.work()
        #expect(worked.dead.isEmpty && worked.outcome.customerKeyNotCopied == ["plain"])
        #expect(worked.changes.contains("not copied \"bk/plain\": encrypted in the source with a customer-provided key (SSE-C), "
                                        + "which s3backup does not hold"), "\(worked.changes)")
        let report = try await BackupReport.load(queue: worked.queue, run: worked.run)
        #expect(report.verdict == .partial)
        #expect(report.text.contains("  encrypted in the primary with a customer-provided key (SSE-C), not copied: 1 (s3backup does "
                                     + "not hold the key: copy them with a tool that does)\n    \"plain\""), "\(report.text)")
        #expect(ReportPage.html(report).contains("<td>Encrypted in the primary with a customer-provided key (SSE-C), not copied</td>"))
    }
}


/// Catalog rows are read a window at a time, in the order the planner meets keys.
@Suite("catalog rows, a window at a time", .timeLimit(.minutes(1)))
struct CatalogWindowTests {
    @Test func keysInOrderCostOneReadPerWindow() async throws {
        let directory = try TemporaryDirectory()
        let queue = try SQLiteQueue(path: directory.path + "/queue.db")
        let keys = (0..<2_500).map { String(format: "k/%05d", $0 * 2) }
        try await queue.record(CatalogChanges(pair: "p", recorded: keys.map {
            CatalogEntry(pair: "p", key: $0, size: 1, sourceETag: "s", backupETag: "b")
        }))
        let reads = LockedBox(0)
        let pairs = CatalogWindow(pair: "p", window: 1_000) { from, window in
            reads.mutate { $0 += 1 }
            return try await queue.catalog(pair: "p", from: from, limit: window)
        }
        var found = 0
        for index in 0..<5_000 {
            if try await pairs.row(for: String(format: "k/%05d", index)) != nil { found += 1 }
        }
        #expect(found == 2_500)
        #expect(reads.value == 3, "5,000 keys asked, 2,500 rows: three windows, not one read per key")
        #expect(try await pairs.row(for: "k/00000") != nil && reads.value == 4, "an earlier key reads again")
        #expect(try await pairs.row(for: "a") == nil && reads.value == 5)
    }

    @Test func keysCompareByteForByte() async throws {
        let directory = try TemporaryDirectory()
        let queue = try SQLiteQueue(path: directory.path + "/queue.db")
        let nfd = "cafe\u{301}", nfc = "caf\u{e9}"
        try await queue.record(CatalogChanges(pair: "p", recorded: [CatalogEntry(pair: "p", key: nfd, size: 1, sourceETag: "s",
                                                                                 backupETag: "b")]))
        let pairs = CatalogWindow(queue: queue, pair: "p")
        #expect(try await pairs.row(for: nfd) != nil)
        #expect(try await pairs.row(for: nfc) == nil, "another key in UTF-8, though Swift calls them equal")
    }
}
