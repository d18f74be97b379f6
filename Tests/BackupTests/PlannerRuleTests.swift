@testable import Backup
import Foundation
import Queue
import S3
import TestSupport
import Testing

/// A primary and a backup bucket in one in-memory store (one service, so copies are server-side), with the run
/// parameters of a backup between their prefixes.
struct StoreFixture {
    let store = InMemoryObjectStore()
    var parameters = RunParameters(source: Side(url: "s3://primary/data"), backup: Side(url: "s3://backup/bk"))

    init() {
        store.createBucket("primary")
        store.createBucket("backup")
    }

    /// Writes `body` at `key` under the primary's prefix.
    @discardableResult
    func source(_ key: String, _ body: String, options: WriteOptions = WriteOptions()) throws -> WriteResult {
        try store.put("primary", "data/" + key, Array(body.utf8), options: options)
    }

    /// Writes `body` at `key` under the backup's prefix.
    @discardableResult
    func backup(_ key: String, _ body: String) throws -> WriteResult {
        try store.put("backup", "bk/" + key, Array(body.utf8))
    }

    func planner() throws -> Planner { try Planner(parameters: parameters, source: store, backup: store) }

    /// Plans the whole run, keeping every copy item and delete.
    func plan() async throws -> (findings: PlanFindings, sink: CollectingSink) {
        let sink = CollectingSink()
        return (try await planner().planAll(into: sink), sink)
    }
}

/// A sink that keeps every item, in planning order.
final class CollectingSink: PlanSink, @unchecked Sendable {
    // @unchecked: `kept` is only touched under `lock`.
    private let lock = NSLock()
    private var kept: (copies: [CopyItem], deletes: [String]) = ([], [])
    var copies: [CopyItem] { lock.withLock { kept.copies } }
    var deletes: [String] { lock.withLock { kept.deletes } }
    func copy(_ batch: [CopyItem], unit: Backup.Unit) async throws { lock.withLock { kept.copies += batch } }
    func delete(_ keys: [String], unit: Backup.Unit) async throws { lock.withLock { kept.deletes += keys } }
}

/// Lines heard from a callback, in order.
final class Lines: @unchecked Sendable {
    // @unchecked: `lines` is only touched under `lock`.
    private let lock = NSLock()
    private var lines: [String] = []
    var all: [String] { lock.withLock { lines } }
    func append(_ line: String) { lock.withLock { lines.append(line) } }
}

@Suite("the planner's copy rules, against the in-memory store", .timeLimit(.minutes(1)))
struct PlannerRuleTests {
    /// One key on either side or both, and what the diff must decide for it (the counts include the anchor, a key
    /// both sides hold alike).
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let source: String?
        let backup: String?
        let copied: Bool
        let deleted: Bool
        let check: @Sendable (PlanFindings) -> Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "missing in the backup: copied", source: "abc", backup: nil, copied: true, deleted: false,
             check: { $0.missing == 1 && $0.changed == 0 && $0.same == 1 && $0.copyBytes == 3 }),
        Case(name: "same size and ETag: skipped", source: "abc", backup: "abc", copied: false, deleted: false,
             check: { $0.same == 2 && $0.missing == 0 && $0.changed == 0 && $0.copyBytes == 0 }),
        Case(name: "another size: copied", source: "abcd", backup: "abc", copied: true, deleted: false,
             check: { $0.changed == 1 && $0.changedSize == 1 && $0.same == 1 && $0.copyBytes == 4 }),
        Case(name: "same size, another ETag: copied", source: "abd", backup: "abc", copied: true, deleted: false,
             check: { $0.changed == 1 && $0.changedSize == 0 && $0.same == 1 && $0.copyBytes == 3 }),
        Case(name: "only in the backup: deleted", source: nil, backup: "abc", copied: false, deleted: true,
             check: { $0.extra == 1 && $0.same == 1 && $0.backupObjects == 2 && $0.sourceObjects == 1 }),
    ]

    @Test(arguments: cases)
    func diffRule(_ rule: Case) async throws {
        let fixture = StoreFixture()
        // A key both sides hold alike keeps the source from listing empty (which would refuse deletes).
        try fixture.source("anchor", "x")
        try fixture.backup("anchor", "x")
        if let body = rule.source { try fixture.source("k", body) }
        if let body = rule.backup { try fixture.backup("k", body) }
        let (findings, sink) = try await fixture.plan()
        #expect(rule.check(findings), "\(findings)")
        #expect(sink.copies.map(\.key) == (rule.copied ? ["k"] : []))
        #expect(sink.deletes == (rule.deleted ? ["k"] : []))
        if rule.copied {
            #expect(try #require(sink.copies.first).etag == ETag(md5Of: Array(rule.source!.utf8)))
        }
    }

    @Test func keysOutsideThePrefixesAreNeitherCopiedNorDeleted() async throws {
        let fixture = StoreFixture()
        try fixture.source("a", "1")
        try fixture.store.put("primary", "data-other/a", [1])
        try fixture.store.put("backup", "bk-other/precious", [1])
        let (findings, sink) = try await fixture.plan()
        #expect(findings.sourceObjects == 1 && findings.backupObjects == 0 && findings.extra == 0)
        #expect(sink.copies.map(\.key) == ["a"] && sink.deletes.isEmpty)
    }

    @Test func listingsMergeAcrossPages() async throws {
        let fixture = StoreFixture()
        // 2,500 in the source, 1,800 in the backup: 1,500 alike, 200 different, 800 missing, 300 extra.
        for index in 0..<2_500 { try fixture.source(String(format: "k%05d", index), "s") }
        for index in 0..<1_500 { try fixture.backup(String(format: "k%05d", index), "s") }
        for index in 1_500..<1_700 { try fixture.backup(String(format: "k%05d", index), "b") }
        for index in 0..<300 { try fixture.backup(String(format: "x%05d", index), "s") }
        var parameters = fixture.parameters
        parameters.maxDelete = .percent(100)
        let sink = CollectingSink()
        let findings = try await Planner(parameters: parameters, source: fixture.store, backup: fixture.store).planAll(into: sink)
        #expect(findings.same == 1_500 && findings.changed == 200 && findings.missing == 800 && findings.extra == 300)
        #expect(sink.copies.count == 1_000 && sink.deletes.count == 300)
        #expect(Set(sink.copies.map(\.key)).count == 1_000)
    }

    @Test func aBigSourceIsSplitIntoUnitsThatPlanTheSame() async throws {
        var fixture = StoreFixture()
        for folder in 0..<4 {
            for index in 0..<30 { try fixture.source("f\(folder)/\(index)", "s") }
        }
        try fixture.source("top", "t")
        try fixture.backup("f9/gone", "g")
        fixture.parameters.splitThreshold = 50
        let discovery = try await fixture.planner().discover()
        #expect(discovery.sourcePages == nil)
        #expect(discovery.units.count > 1)
        let (findings, sink) = try await fixture.plan()
        #expect(findings.missing == 121 && findings.extra == 1 && sink.copies.count == 121 && sink.deletes == ["f9/gone"])
    }

    @Test func theDeleteCapRefusesTooManyDeletes() async throws {
        var fixture = StoreFixture()
        for index in 0..<10 { try fixture.backup("k\(index)", "v") }
        for index in 0..<8 { try fixture.source("k\(index)", "v") }
        let (findings, sink) = try await fixture.plan()
        #expect(findings.extra == 2 && findings.backupObjects == 10 && sink.deletes == ["k8", "k9"])
        // 2 of 10 is 20 %: over the default 10 %, within a cap of 2 or of 20 %.
        let refusal = BackupPlanning.deleteRefusal(findings, cap: fixture.parameters.maxDelete)
        #expect(refusal?.contains("over the cap --max-delete 10%") == true)
        #expect(BackupPlanning.deleteRefusal(findings, cap: .count(1)) != nil)
        #expect(BackupPlanning.deleteRefusal(findings, cap: .count(2)) == nil)
        #expect(BackupPlanning.deleteRefusal(findings, cap: .percent(20)) == nil)
        fixture.parameters.mirrorDeletes = false
        let (kept, keptSink) = try await fixture.plan()
        #expect(kept.extra == 2 && keptSink.deletes.isEmpty)
    }

    @Test func anEmptiedPrimaryDeletesNothingWhateverTheCap() async throws {
        let fixture = StoreFixture()
        for index in 0..<5 { try fixture.backup("k\(index)", "v") }
        // The primary held these once: deleted now, so it lists empty.
        for index in 0..<5 {
            try fixture.source("k\(index)", "v")
            try await fixture.store.deleteObject(bucket: "primary", key: "data/k\(index)")
        }
        let (findings, _) = try await fixture.plan()
        #expect(findings.sourceObjects == 0 && findings.extra == 5)
        let refusal = BackupPlanning.deleteRefusal(findings, cap: .percent(100))
        #expect(refusal?.contains("the source lists no objects") == true)
    }

    @Test func anEmptiedPrimaryLeavesNoDeleteTaskInTheQueue() async throws {
        let fixture = StoreFixture()
        for index in 0..<5 { try fixture.backup("k\(index)", "v") }
        let directory = try TemporaryDirectory()
        let queue = try SQLiteQueue(path: directory.path + "/queue.db")
        var parameters = fixture.parameters
        parameters.maxDelete = .percent(100)
        let run = try await queue.createRun(kind: "backup", source: parameters.source.url, destination: parameters.backup.url,
                                            parameters: try parameters.encoded())
        let planning = BackupPlanning(planner: try Planner(parameters: parameters, source: fixture.store, backup: fixture.store),
                                      queue: queue, run: run, owner: "test:1", leaseRenewal: .seconds(60), log: { _ in })
        let outcome = try await planning.execute()
        #expect(outcome.findings.extra == 5 && outcome.deletesRefused?.contains("the source lists no objects") == true)
        #expect(try await queue.claim(worker: "w", limit: 10, run: run).isEmpty)
        #expect(try await queue.outstanding(run: run) == 0)
    }

    /// 1,500 versions of `a`, newest first: the listing's first page holds versions 1,500…501 (700 is there, and
    /// the second page holds more of `a`, older), the second page the rest (400 is there, after a page that held only
    /// newer versions of the same key). Either way the key is chosen once, at its version of that moment.
    @Test(arguments: [700, 400])
    func pointInTimeChoosesAcrossListingPages(version: Int) async throws {
        var fixture = StoreFixture()
        try fixture.source("b", "b before")
        try fixture.source("d", "d before")
        try fixture.source("e", "e before")
        try await fixture.store.deleteObject(bucket: "primary", key: "data/e")
        var chosen: (version: String, time: String)?
        for index in 1...1_500 {
            let time = InMemoryObjectStore.listedTime(fixture.store.now)
            let written = try fixture.source("a", "a\(index)")
            if index == version { chosen = (written.versionID!, time) }
        }
        try fixture.source("c", "c after")
        try await fixture.store.deleteObject(bucket: "primary", key: "data/d")
        try fixture.source("b", "b after")
        fixture.parameters.asOf = chosen!.time
        let (findings, sink) = try await fixture.plan()
        #expect(sink.copies.map(\.key) == ["a", "b", "d"])
        #expect(findings.missing == 3)
        try #require(sink.copies.count == 3)
        let a = sink.copies[0]
        #expect(a.versionID == chosen!.version && a.etag == ETag(md5Of: Array("a\(version)".utf8)))
        #expect(sink.copies[1].etag == ETag(md5Of: Array("b before".utf8)))
        #expect(sink.copies[2].etag == ETag(md5Of: Array("d before".utf8)))
    }
}
