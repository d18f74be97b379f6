@testable import Backup
import Foundation
import Testing

@Suite("the history's words")
struct HistoryWordsTests {
    private let now = Date(timeIntervalSince1970: 1_796_000_000)

    private func night(_ run: Int64, daysAgo: Double, verdict: String = "success", objects: Int, seconds: Double) -> History.Entry {
        var report = BackupReport(run: run, source: "s3://p", backup: "s3://b", resumed: false, plan: PlanFindings(), work: TaskOutcome(),
                                  tasks: [:], deletesRefused: nil, seconds: seconds)
        report.plan.sourceObjects = objects
        report.startedAt = now.addingTimeInterval(-daysAgo * 86_400)
        var entry = History.Entry(report, state: .finished)
        entry.verdict = verdict
        return entry
    }

    @Test func theTrendCountsTheWindowsNightsOnly() {
        let nights = [night(1, daysAgo: 9, verdict: "partial", objects: 10, seconds: 1), night(2, daysAgo: 6, objects: 1_000, seconds: 100),
                      night(3, daysAgo: 5, verdict: "refused", objects: 1_010, seconds: 300), night(4, daysAgo: 1, objects: 1_020, seconds: 200),
                      night(5, daysAgo: 0, objects: 1_012, seconds: 3_725)]
        #expect(History.trend(of: nights, days: 7, now: now)
            == "last 7 days, 4 runs: 3 of 4 succeeded (run 3 refused), primary +1.2 % objects, median 4 m 10 s")
        #expect(History.trend(of: Array(nights.suffix(1)), days: nil, now: now) == "1 run: all succeeded, primary +0.0 % objects, median 1 h 2 m")
        #expect(History.trend(of: [], days: 7, now: now) == nil)
    }

    @Test(arguments: [("30d", -30 * 86_400.0), ("12h", -12 * 3_600.0), ("90m", -90 * 60.0), ("0d", 0)])
    func sinceReachesBack(text: String, offset: Double) {
        #expect(History.since(text, now: now) == now.addingTimeInterval(offset))
    }

    @Test func sinceReadsDatesAndRefusesTheRest() {
        #expect(History.since("2026-11-01", now: now) == Date(timeIntervalSince1970: 1_793_491_200))
        #expect(History.since("2026-11-01T02:00:00Z", now: now) == Date(timeIntervalSince1970: 1_793_498_400))
        for nonsense in ["yesterday", "-3d", "3w", "", "d"] { #expect(History.since(nonsense, now: now) == nil, "\(nonsense)") }
    }
}
