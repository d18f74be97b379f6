@testable import Backup
import Foundation
import S3
import Testing

/// A verification names the differences nothing explains by key, exactly those its counts call unexplained, in
/// bounded memory, in byte order.
@Suite("Unexplained differences by key", .timeLimit(.minutes(1)))
struct UnexplainedKeysTests {
    static let since = "2026-12-01T02:00:00.000Z"

    static func item(_ key: String, written: String?) -> CopyItem {
        CopyItem(key: key, size: 1, etag: ETag("\"0\""), versionID: nil, lastModified: written)
    }

    /// Copies written before the run are unexplained; those written at or after its start are not (the planner's
    /// rule); keys only the backup holds are unexplained unless extras are explained (a refused delete, a restore).
    @Test(arguments: [false, true])
    func copiesWrittenBeforeTheRunAndExtrasAreNamed(extrasExplained: Bool) async throws {
        let sink = UnexplainedKeySink(since: Self.since, extrasExplained: extrasExplained, cap: 100)
        try await sink.copy([Self.item("old", written: "2026-12-01T01:59:59.999Z"), Self.item("at-start", written: Self.since),
                             Self.item("late", written: "2026-12-01T02:00:01.000Z")], unit: .deep(""))
        try await sink.delete(["extra"], unit: .deep(""))
        let expected = [BackupReport.UnexplainedKey(key: "extra", difference: .onlyInBackup),
                        BackupReport.UnexplainedKey(key: "old", difference: .missingOrDifferent)]
        #expect(sink.keys(writtenDuringRun: 2) == expected.filter { !extrasExplained || $0.difference != .onlyInBackup })
    }

    /// A copy listed without a time is unexplained when the planner found nothing written during the run; when it
    /// found some, such a copy cannot be told apart and is left out rather than named wrongly.
    @Test func undatedCopiesAreNamedOnlyWhenNothingWasWrittenDuringTheRun() async throws {
        let sink = UnexplainedKeySink(since: Self.since, extrasExplained: false, cap: 100)
        try await sink.copy([Self.item("undated", written: nil), Self.item("old", written: "2026-11-30T00:00:00.000Z")], unit: .deep(""))
        #expect(sink.keys(writtenDuringRun: 0).map(\.key) == ["old", "undated"])
        #expect(sink.keys(writtenDuringRun: 1).map(\.key) == ["old"])
    }

    /// However many keys differ, the sink keeps at most twice its cap and names the first `cap` in byte order
    /// (NFC "é" is C3 A9, NFD "e" + U+0301 is 65 CC 81: the decomposed form sorts first, and both are kept).
    @Test func theFirstKeysInByteOrderAreKeptWithinTheCap() async throws {
        let sink = UnexplainedKeySink(since: Self.since, extrasExplained: false, cap: 3)
        var keys = (0..<1_000).map { String(format: "k%04d", $0) } + ["caf\u{E9}", "cafe\u{301}", "Z"]
        keys.shuffle()
        for start in stride(from: 0, to: keys.count, by: 7) {
            try await sink.copy(keys[start..<min(start + 7, keys.count)].map { Self.item($0, written: "2026-01-01T00:00:00.000Z") },
                                unit: .deep(""))
        }
        #expect(sink.keys(writtenDuringRun: 0).map { Array($0.key.utf8) } == [Array("Z".utf8), Array("cafe\u{301}".utf8),
                                                                            Array("caf\u{E9}".utf8)])
    }

    /// The text names the first 20 keys, then how many more and where to find them; with keys it could not name,
    /// it says so instead of sending the reader to a list that lacks them.
    @Test func theTextNamesTheFirstTwentyAndCountsTheRest() {
        var findings = PlanFindings()
        findings.missing = 25
        var check = BackupReport.Verification(findings, deletesRefused: true)
        check.unexplainedKeys = (0..<25).map { BackupReport.UnexplainedKey(key: String(format: "k%02d", $0), difference: .missingOrDifferent) }
        let backup = (from: "primary", to: "backup"), restore = (from: "backup", to: "primary")
        let lines = BackupReport.unexplainedLines(check, sides: backup)
        #expect(lines.count == 22)
        #expect(lines[1] == "    missing or different in the backup: \"k00\"")
        #expect(lines[20] == "    missing or different in the backup: \"k19\"")
        #expect(lines[21] == "    … and 5 more: `s3backup report --json` lists them (up to 10000)")

        #expect(BackupReport.unexplainedLines(check, sides: restore)[1] == "    missing or different in the primary: \"k00\"")

        check.unexplainedKeys = []
        #expect(BackupReport.unexplainedLines(check, sides: backup).last
                    == "    25 not named: the listing did not say whether the primary wrote them during the run")
        #expect(BackupReport.unexplainedLines(check, sides: restore).last
                    == "    25 not named: the listing did not say whether the backup wrote them during the run")
        check.unexplained = 0
        #expect(BackupReport.unexplainedLines(check, sides: backup).isEmpty)
    }
}
