import Foundation
@testable import Backup
import S3
import Testing

/// Pages from arrays, as a listing would deliver them.
private func pages(_ objects: [ListedObject], size: Int) -> KeyDiff.Pages {
    let box = LockedBox(stride(from: 0, to: objects.count, by: size).map { Array(objects[$0..<min($0 + size, objects.count)]) })
    return { box.mutate { $0.isEmpty ? nil : $0.removeFirst() } }
}

private func object(_ key: String, _ size: Int64 = 1, _ etag: String = "\"e\"") -> ListedObject {
    ListedObject(key: key, size: size, etag: ETag(etag))
}

private func decisions(_ source: [ListedObject], _ backup: [ListedObject], page: Int = 2) async throws -> [DiffDecision] {
    var diff = KeyDiff(source: pages(source, size: page), backup: pages(backup, size: page + 1))
    var out: [DiffDecision] = []
    while let decision = try await diff.next() { out.append(decision) }
    return out
}

@Suite("Merge diff", .timeLimit(.minutes(1)))
struct KeyDiffTests {
    @Test func copyRules() async throws {
        let source = [object("a"), object("b", 2), object("c", 1, "\"x\""), object("e")]
        let backup = [object("b", 1), object("c", 1, "\"y\""), object("d"), object("e")]
        #expect(try await decisions(source, backup) == [
            .missing(object("a")), .changed(object("b", 2), backup: object("b", 1)),
            .changed(object("c", 1, "\"x\""), backup: object("c", 1, "\"y\"")), .extra(object("d")), .same(object("e"), backup: object("e")),
        ])
    }

    @Test func emptySides() async throws {
        #expect(try await decisions([], []).isEmpty)
        #expect(try await decisions([object("a")], []) == [.missing(object("a"))])
        #expect(try await decisions([], [object("a")]) == [.extra(object("a"))])
    }

    /// Byte order, not Swift's String order: NFC and NFD forms are different keys, `Z` < `a` < `é`.
    @Test func keysCompareAsBytes() async throws {
        let nfc = object("caf\u{E9}"), nfd = object("cafe\u{301}")
        let sorted = [object("Z"), object("a"), nfd, nfc, object("😀")]
        #expect(try await decisions(sorted, [nfc]) == [
            .missing(object("Z")), .missing(object("a")), .missing(nfd), .same(nfc, backup: nfc), .missing(object("😀")),
        ])
    }

    @Test func anUnsortedListingStopsTheDiff() async throws {
        await #expect(throws: ListingOrderError.self) { try await decisions([object("b"), object("a")], []) }
        await #expect(throws: ListingOrderError.self) { try await decisions([], [object("a"), object("a")]) }
    }

    @Test(arguments: [1, 2, 5, 1_000])
    func pageSizeDoesNotMatter(page: Int) async throws {
        let source = (0..<50).map { object(String(format: "k%03d", $0 * 2)) }
        let backup = (0..<50).map { object(String(format: "k%03d", $0 * 3)) }
        let result = try await decisions(source, backup, page: page)
        #expect(result.count == 50 + 50 - 17)
        #expect(result.filter { if case .same = $0 { true } else { false } }.count == 17)
    }
}

@Suite("Delete cap", .timeLimit(.minutes(1)))
struct DeleteCapTests {
    @Test(arguments: [("10%", DeleteCap.percent(10)), ("0", .count(0)), ("500", .count(500)), ("2.5%", .percent(2.5))])
    func parses(text: String, cap: DeleteCap) {
        #expect(DeleteCap(text) == cap)
        #expect(DeleteCap(cap.description) == cap)
    }

    @Test(arguments: ["", "-1", "ten", "101%", "5%%"])
    func rejects(text: String) { #expect(DeleteCap(text) == nil) }

    @Test func refusals() {
        var findings = PlanFindings()
        findings.backupObjects = 100
        findings.extra = 20
        #expect(BackupPlanning.deleteRefusal(findings, cap: .percent(10))?.contains("source lists no objects") == true)
        findings.sourceObjects = 80
        #expect(BackupPlanning.deleteRefusal(findings, cap: .percent(10))?.contains("over the cap --max-delete 10%") == true)
        #expect(BackupPlanning.deleteRefusal(findings, cap: .percent(20)) == nil)
        #expect(BackupPlanning.deleteRefusal(findings, cap: .count(19)) != nil)
        findings.extra = 0
        findings.sourceObjects = 0
        #expect(BackupPlanning.deleteRefusal(findings, cap: .count(0)) == nil, "nothing to delete, nothing to refuse")
    }

    @Test func anETagSpelledAnotherWayIsTheSame() async throws {
        // Ceph's CopyObject answers unquoted, XML may carry &quot;, hex may come in capitals: one ETag each time.
        let found = try await decisions([object("a", 1, "\"9cfd00ff\""), object("b", 1, "\"9cfd00ff-2\"")],
                                            [object("a", 1, "9CFD00FF"), object("b", 1, "&quot;9cfd00ff-2&quot;")])
        #expect(found.allSatisfy { if case .same = $0 { true } else { false } }, "\(found)")
    }
}

@Suite("S3 times", .timeLimit(.minutes(1)))
struct S3TimeTests {
    @Test func formatsAsS3ListsAndParsesWhatPeopleWrite() throws {
        #expect(S3Time.string(Date(timeIntervalSince1970: 1_700_000_000.5)) == "2023-11-14T22:13:20.500Z")
        #expect(S3Time.parse("2023-11-14T22:13:20Z") == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(S3Time.parse("2023-11-14T22:13:20.500Z") == Date(timeIntervalSince1970: 1_700_000_000.5))
        #expect(S3Time.parse("yesterday") == nil)
        // Listed times compare with moments as text.
        #expect("2023-11-14T22:13:20.000Z" <= S3Time.string(Date(timeIntervalSince1970: 1_700_000_000)))
    }
}

@Suite("Part layouts chosen when the source's cannot be read", .timeLimit(.minutes(1)))
struct ChosenLayoutTests {
    static let mebibyte: Int64 = 1 << 20

    /// (size, parts) and the part size chosen.
    static let cases: [(Int64, Int, Int64)] = [
        (10 * mebibyte + 1_234, 3, 5 * mebibyte),   // rclone's 5 MiB
        (24 * mebibyte, 3, 8 * mebibyte),           // aws-cli's 8 MiB, parts exactly full
        (17 * mebibyte, 3, 8 * mebibyte),
        (100 * mebibyte + 1, 2, 64 * mebibyte),     // the first common size that makes 2 parts
        (7 * mebibyte, 1, 8 * mebibyte),
        (6 * mebibyte, 3, 5 * mebibyte),            // no size makes 3 parts of at least 5 MiB: the minimum
        (3_000 * mebibyte, 7, 429 * mebibyte),      // equal parts, rounded up to a MiB
    ]

    @Test(arguments: cases)
    func theFirstCommonSizeThatGivesAsManyParts(size: Int64, parts: Int, partSize: Int64) {
        let layout = ObjectCopier.chosenLayout(size: size, parts: parts)
        #expect(!layout.isSources)
        #expect(layout.ranges.first?.count == Int(min(partSize, size)))
        #expect(layout.ranges.first?.lowerBound == 0 && layout.ranges.last?.upperBound == size - 1)
        for (left, right) in zip(layout.ranges, layout.ranges.dropFirst()) {
            #expect(right.lowerBound == left.upperBound + 1, "contiguous")
            #expect(left.count >= 5 << 20, "every part but the last is at least 5 MiB")
        }
    }

    @Test func fiveTerabytesStayWithinTenThousandParts() {
        let size: Int64 = 5_000_000_000_000
        let layout = ObjectCopier.chosenLayout(size: size, parts: 10_000)
        #expect(layout.ranges.count <= 10_000)
        #expect(layout.ranges.allSatisfy { $0.count <= 5 << 30 })
        #expect(layout.ranges.map { Int64($0.count) }.reduce(0, +) == size)
    }
}
