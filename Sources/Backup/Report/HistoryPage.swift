import Foundation

/// The history as one self-contained HTML page, with the report page's policy (no script, no fetch): charts over the
/// nights of each pair's backups (objects and bytes in the primary and the backup, copied per night, duration,
/// failures) as inline SVG, then every run in a table.
public enum HistoryPage {
    /// The page.
    public static func html(_ history: History) -> String {
        var sections = ["<h1>s3backup history</h1><p class=\"sub\">\(history.runs.count) run(s) since "
            + "\(ReportPage.escape(history.since.formatted(.iso8601)))</p>"]
        let backups = Dictionary(grouping: history.runs.filter { $0.kind == "backup" }) { "\($0.source) → \($0.destination)" }
        for pair in backups.keys.sorted() {
            let nights = backups[pair]!
            let days = nights.map { ReportPage.escape(String($0.startedAt.formatted(.iso8601).prefix(10))) }
            sections.append("<h2>\(ReportPage.escape(pair))</h2>"
                + (History.trend(of: nights, days: nil).map { "<p>\(ReportPage.escape($0))</p>" } ?? ""))
            sections.append("<h2>Objects</h2>" + lineChart("objects in the primary and the backup", days: days, series: [
                ("primary", "#0969da", nights.map { Double($0.sourceObjects) }),
                ("backup", "#8250df", nights.map { Double($0.destinationObjects) }),
            ], unit: { String(Int($0)) }))
            sections.append("<h2>Bytes</h2>" + lineChart("bytes in the primary and the backup", days: days, series: [
                ("primary", "#0969da", nights.map { Double($0.sourceBytes) }),
                ("backup", "#8250df", nights.map { Double($0.destinationBytes) }),
            ], unit: { ByteCount.text(Int64($0)) }))
            sections.append("<h2>Copied per night</h2>" + barChart("objects copied per night", days: days,
                                                                   values: nights.map { Double($0.copied) }, colour: "#1a7f37") { String(Int($0)) })
            sections.append("<h2>Duration</h2>" + barChart("duration per night", days: days, values: nights.map(\.seconds),
                                                           colour: "#9a6700", unit: History.duration))
            sections.append("<h2>Failures</h2>" + barChart("failed objects per night", days: days, values: nights.map { Double($0.failed) },
                                                           colour: "#cf222e") { String(Int($0)) })
        }
        sections.append(runTable(history.runs))
        return ReportPage.document(title: "s3backup history", sections: sections)
    }

    private static let width = 800.0, height = 200.0, left = 70.0, bottom = 22.0, top = 22.0

    /// One polyline per series over the nights, with the largest value on the axis and a legend.
    private static func lineChart(_ label: String, days: [String], series: [(name: String, colour: String, values: [Double])],
                                  unit: (Double) -> String) -> String {
        let top = max(series.flatMap(\.values).max() ?? 0, 1)
        var body = axes(days: days, top: unit(top))
        for (index, line) in series.enumerated() {
            let points = line.values.enumerated().map { String(format: "%.1f,%.1f", x($0.offset, of: days.count), y($0.element, top: top)) }
            body += "<polyline class=\"series\" points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(line.colour)\" "
                + "stroke-width=\"2\"></polyline>"
            body += line.values.enumerated().map {
                String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"\(line.colour)\"></circle>", x($0.offset, of: days.count),
                       y($0.element, top: top))
            }.joined()
            body += "<text x=\"\(Int(width) - 160 + index * 70)\" y=\"14\" style=\"fill:\(line.colour)\">\(ReportPage.escape(line.name))</text>"
        }
        return svg(label, body)
    }

    /// One bar per night.
    private static func barChart(_ label: String, days: [String], values: [Double], colour: String, unit: (Double) -> String) -> String {
        let top = max(values.max() ?? 0, 1)
        let slot = (width - left - 10) / Double(max(days.count, 1))
        var body = axes(days: days, top: unit(top))
        for (index, value) in values.enumerated() {
            let barTop = y(value, top: top)
            body += String(format: "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"\(colour)\"></rect>",
                           left + Double(index) * slot + slot * 0.15, barTop, slot * 0.7, height - bottom - barTop)
        }
        return svg(label, body)
    }

    private static func x(_ index: Int, of count: Int) -> Double {
        let slot = (width - left - 10) / Double(max(count, 1))
        return left + (Double(index) + 0.5) * slot
    }

    private static func y(_ value: Double, top: Double) -> Double { height - bottom - value / top * (height - bottom - HistoryPage.top) }

    /// The baseline, the largest value, and the first and last night's dates.
    private static func axes(days: [String], top: String) -> String {
        var text = "<line x1=\"\(Int(left))\" y1=\"\(Int(height - bottom))\" x2=\"\(Int(width) - 10)\" y2=\"\(Int(height - bottom))\" "
            + "stroke=\"#d1d9e0\"></line><text x=\"4\" y=\"\(Int(HistoryPage.top) + 4)\">\(ReportPage.escape(top))</text>"
            + "<text x=\"4\" y=\"\(Int(height - bottom))\">0</text>"
        if let first = days.first { text += "<text x=\"\(Int(left))\" y=\"\(Int(height) - 5)\">\(first)</text>" }
        if days.count > 1, let last = days.last { text += "<text x=\"\(Int(width) - 80)\" y=\"\(Int(height) - 5)\">\(last)</text>" }
        return text
    }

    private static func svg(_ label: String, _ body: String) -> String {
        "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(ReportPage.escape(label))\">\(body)</svg>"
    }

    /// Every run, a row each.
    private static func runTable(_ runs: [History.Entry]) -> String {
        let bytes = ByteCount.text
        let header = "<tr><td>Run</td><td>Kind</td><td>Started</td><td>Took</td><td>Verdict</td><td>Source</td><td>Destination</td>"
            + "<td>Copied</td><td>Deleted</td><td>Failed</td><td>Retries</td><td>Cost</td></tr>"
        let rows = runs.map { run in
            "<tr><td>\(run.run)</td><td>\(ReportPage.escape(run.kind))</td><td>\(ReportPage.escape(run.startedAt.formatted(.iso8601)))</td>"
                + "<td>\(History.duration(run.seconds))</td><td>\(ReportPage.escape(run.verdict))</td>"
                + "<td>\(run.sourceObjects) (\(bytes(run.sourceBytes)))</td><td>\(run.destinationObjects) (\(bytes(run.destinationBytes)))</td>"
                + "<td>\(run.copied) (\(bytes(run.copiedBytes)))</td><td>\(run.deleted)</td><td>\(run.failed)</td>"
                + "<td>\(run.retries) + \(run.requestRetries)</td><td>\(run.costDollars.map(RetrievalPrices.dollars) ?? "")</td></tr>"
        }.joined()
        return "<h2>Runs</h2><table class=\"runs\">\(header)\(rows)</table>"
    }
}
