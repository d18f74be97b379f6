import Foundation
import Queue

/// What a week (or any period) of s3backup did, for the weekly mail (`report --since 7d --mail`): every backup and
/// restore run with its trend per pair, the recovery drills, and the costs: of the runs, and of keeping each
/// destination a month as its latest backup left it.
public struct PeriodSummary: Codable, Sendable {
    /// A recovery drill of the period (`verify --db`).
    public struct DrillEntry: Codable, Sendable, Equatable {
        /// Its run in the queue.
        public var run: RunID
        /// The primary and the backup compared.
        public var source: String, backup: String
        /// When it ran.
        public var at: Date
        /// Whether it passed.
        public var passed: Bool
        /// Its one line.
        public var summary: String
    }

    /// The period's end.
    public var until: Date
    /// Its runs.
    public var history: History
    /// Its drills.
    public var drills: [DrillEntry]
    /// What its runs cost together.
    public var runDollars: Double
    /// What keeping each pair's destination costs a month, as its latest backup estimated, summed.
    public var monthlyDollars: Double

    /// The summary of what `queue` holds since `since`, runs priced by `prices`.
    public static func load(queue: any TaskQueue, since: Date, until: Date = Date(), prices: Prices = .aws) async throws -> PeriodSummary {
        let history = try await History.load(queue: queue, since: since, prices: prices)
        let drills = try await queue.runs(limit: Int.max).filter { $0.kind == "verify" && $0.createdAt >= since }.sorted { $0.id < $1.id }
            .map { DrillEntry(run: $0.id, source: $0.source, backup: $0.destination, at: $0.createdAt,
                              passed: $0.note?.hasPrefix("drill passed") == true, summary: $0.note ?? "no outcome recorded") }
        let latest = Dictionary(history.runs.filter { $0.kind == "backup" }.map { ("\($0.source) → \($0.destination)", $0) }) { $1 }
        return PeriodSummary(until: until, history: history, drills: drills,
                             runDollars: history.runs.reduce(0) { $0 + ($1.costDollars ?? 0) },
                             monthlyDollars: latest.values.reduce(0) { $0 + ($1.monthlyDollars ?? 0) })
    }

    /// Whether every run of the period succeeded and every drill passed.
    public var allWell: Bool { history.runs.allSatisfy { $0.verdict == "success" } && drills.allSatisfy(\.passed) }

    /// The mail's subject: `OK: s3backup from 2026-11-26 to 2026-12-03: 7 runs, 1 drill`, or `ATTENTION: …`.
    public var subject: String {
        let day = { (date: Date) in String(date.formatted(.iso8601).prefix(10)) }
        let count = { (n: Int, noun: String) in "\(n) \(noun)\(n == 1 ? "" : "s")" }
        return "\(allWell ? "OK" : "ATTENTION"): s3backup from \(day(history.since)) to \(day(until)): \(count(history.runs.count, "run")), "
            + count(drills.count, "drill")
    }

    /// Lines for a person.
    public var text: String {
        var lines = ["s3backup from \(history.since.formatted(.iso8601)) to \(until.formatted(.iso8601))", "", "runs:"]
        lines += history.text.split(separator: "\n").map { "  " + $0 }
        lines += ["", "drills:"]
        lines += drills.isEmpty ? ["  none recorded (s3backup verify --db … keeps its outcome in the queue)"]
            : drills.map { "  run \($0.run)  \($0.at.formatted(.iso8601))  \($0.backup): \($0.summary)" }
        lines += ["", "costs (estimates at list prices): the period's runs \(RetrievalPrices.about(runDollars)); keeping the destinations "
            + "\(RetrievalPrices.about(monthlyDollars)) a month (current versions, as each pair's latest backup listed them)"]
        return lines.joined(separator: "\n")
    }
}
