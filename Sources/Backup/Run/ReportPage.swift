import Foundation

/// A run's report as one self-contained HTML page (no script, no external asset): the verdict, the counts, the
/// comparison of both buckets, throughput over the run and work per prefix as inline SVG charts, the failures.
/// Everything from the buckets and the queue (keys, prefixes, error texts, bucket names) goes through `escape`, and a
/// Content-Security-Policy forbids script and every fetch, so a key that got past the escaping still could not run.
public enum ReportPage {
    /// The page's Content-Security-Policy: only its own inline style (the `<style>` element and the verdict's colour
    /// attribute); no script (so no inline event handler either), no image, font, frame or connection, no `<base>`,
    /// no form submission (`base-uri` and `form-action` do not fall back to `default-src`). The page has no script,
    /// so it needs no hash or nonce. https://www.w3.org/TR/CSP3/#directive-default-src
    static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

    /// The page.
    public static func html(_ report: BackupReport) -> String {
        let verdictColour = ["success": "#1a7f37", "refused": "#9a6700", "partial": "#cf222e", "mismatch": "#cf222e"][report.verdict.rawValue]!
        var sections: [String] = []
        sections.append("""
            <h1>\(report.kind == "restore" ? "Restore" : "Backup") run \(report.run): <span style="color:\(verdictColour)">\(escape(report.verdict.rawValue))</span></h1>
            <p class="sub">\(escape(report.source)) → \(escape(report.backup))\(report.startedAt.map { " · started \($0.formatted(.iso8601))" } ?? "") · \(String(format: "%.1f", report.seconds)) s</p>\(report.trend.map { "<p>Trend: \(escape($0))</p>" } ?? "")
            """)
        let plan = report.plan, work = report.work, (from, to) = report.sides, bytes = ByteCount.text
        sections.append(table("Numbers", [
            ("Listed in the \(from)", "\(plan.sourceObjects) objects, \(bytes(plan.sourceBytes))"),
            ("Listed in the \(to)", "\(plan.backupObjects) objects, \(bytes(plan.backupBytes))"),
            ("Planned", "\(plan.missing + plan.changed) to copy (\(bytes(plan.copyBytes)): \(plan.missing) not in the \(to), "
                + "\(plan.changed) different), \(plan.same) unchanged, \(plan.extra) to delete"),
            ("Rules", "copy: \(plan.missing) missing, \(plan.changedSize) size differs, \(plan.changed - plan.changedSize) ETag differs "
                + "(\(plan.unproven) compared by checksum first); skip: \(plan.same - plan.sameByRecord) same size and ETag, "
                + "\(plan.sameByRecord) as the catalog recorded the copy; delete: \(plan.extra) only in the \(to)"),
            ("Copied", "\(work.copied) objects, \(bytes(work.copiedBytes)) (\(work.serverSide) server-side, \(work.streamed) streamed, "
                + "\(work.multipart) multipart in the \(from)'s part layout, \(work.relayouts) in another part layout)"),
            ("Verified", "\(work.verifiedByETag) by ETag, \(work.verifiedByChecksum) by checksum, \(work.verifiedBySize) by size"),
            ("Deleted", "\(work.deleted) objects"),
            ("Tasks", TaskCounts.text(report.tasks) + ", \(report.retries) retried"),
            ("Requests retried", "\(report.work.requestRetries) (\(report.work.throttled) throttled by S3)"),
        ] + report.catalogLines.map { line in ("Catalog", line) }
          + (report.retrievalSummary.map { [("Archives", $0)] } ?? [])
          + (report.lockLine.map { [("Object Lock", $0)] } ?? [])
          + report.notCopied.map { left in
              (left.what.prefix(1).uppercased() + left.what.dropFirst(), "\(left.keys.count) (\(left.advice)): "
                + left.keys.prefix(failedObjectsShown).map(\.debugDescription).joined(separator: ", ")
                + (left.keys.count > failedObjectsShown ? ", … (`--json` lists them all)" : ""))
          }
          + (report.deletesRefused.map { [("Deletes refused", $0)] } ?? [])))
        if let check = report.verification {
            sections.append(table("The \(from) and the \(to) now", [
                (from.capitalized, "\(check.sourceObjects) objects, \(bytes(check.sourceBytes))"),
                (to.capitalized, "\(check.backupObjects) objects, \(bytes(check.backupBytes))"),
                ("Differences", "\(check.missing) missing, \(check.changed) different, \(check.extra) only in the \(to)"),
                ("Explained", "\(check.writtenDuringRun) written to the \(from) since the run began"),
                ("Unexplained", "\(check.unexplained)"),
            ]))
            if check.unexplained > 0 { sections.append(unexplainedTable(check, sides: report.sides)) }
        }
        if let cost = report.cost { sections.append(costTable(cost, destination: to)) }
        sections.append("<h2>Throughput over the run</h2>" + throughputChart(report))
        sections.append("<h2>Work per prefix</h2>" + unitChart(report.units))
        if !report.failures.isEmpty { sections.append(failureTable(report)) }
        return document(title: "s3backup run \(report.run): \(report.verdict.rawValue)", sections: sections)
    }

    /// A page of `sections` (markup already escaped) under `title` (text), with the policy and the style of every page.
    static func document(title: String, sections: [String]) -> String {
        """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="\(contentSecurityPolicy)">
            <title>\(escape(title))</title>
            <style>
            body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#1f2328;padding:0 1rem}
            h1{font-size:1.6rem;margin:0}.sub{color:#59636e;margin-top:.3rem}h2{font-size:1.15rem;margin-top:2rem}
            table{border-collapse:collapse;width:100%}td{border-top:1px solid #d1d9e0;padding:.35rem .5rem;vertical-align:top}
            td:first-child{color:#59636e;width:14rem}.key{font-family:ui-monospace,monospace}
            svg{width:100%;height:auto;background:#f6f8fa;border-radius:6px}svg text{font:11px system-ui,sans-serif;fill:#59636e}
            </style></head><body>
            \(sections.joined(separator: "\n"))
            </body></html>
            """
    }

    /// The objects each dead task failed on, each once, with the attempts it failed in: at most
    /// `failedObjectsShown` per task, and where to find the rest.
    private static func failureTable(_ report: BackupReport) -> String {
        var rows = ""
        for task in report.failures {
            rows += "<tr><td>task \(task.id)</td><td>\(task.attempts) attempt\(task.attempts == 1 ? "" : "s"), "
                + "\(task.failures.count) object\(task.failures.count == 1 ? "" : "s") failed; last error: "
                + "\(escape(task.lastError ?? "none recorded"))</td></tr>"
            for failure in task.failures.prefix(failedObjectsShown) {
                rows += "<tr><td class=\"key\">\(escape(failure.subject.debugDescription))</td><td>\(escape(failure.error)) "
                    + "(failed in \(failure.attempts) of \(task.attempts) attempt\(task.attempts == 1 ? "" : "s"))</td></tr>"
            }
            if task.failures.count > failedObjectsShown {
                rows += "<tr><td></td><td>… and \(task.failures.count - failedObjectsShown) more: "
                    + "<code>s3backup failed --run \(report.run)</code> lists them</td></tr>"
            }
        }
        return "<h2>Failures</h2><table>\(rows)</table>"
    }

    /// The cost estimate: the run's requests by kind, transfer and retrievals; the destination's storage by class.
    private static func costTable(_ cost: CostEstimate, destination: String) -> String {
        let dollars = RetrievalPrices.dollars
        var rows: [(String, String)] = cost.requests.map { line in
            ("\(line.kind.rawValue.capitalized) requests", "\(line.count) × "
                + (line.perThousand.map { "\(dollars($0)) per 1,000" } ?? "no price") + " = \(dollars(line.dollars))")
        }
        rows.append(("Between regions", "\(ByteCount.text(cost.transferBytes)) = \(dollars(cost.transferDollars))"))
        rows.append(("Retrievals", dollars(cost.retrievalDollars)))
        rows.append(("This run", RetrievalPrices.about(cost.runDollars)))
        rows += cost.storage.map { line in
            ("\(line.current ? "" : "Noncurrent ")\(line.storageClass)", "\(line.objects) objects, \(ByteCount.text(line.bytes)), "
                + String(format: "%.3f GB billed", line.billedGB + line.standardGB) + " × "
                + (line.perGBMonth.map { "\(dollars($0)) per GB-month = \(dollars(line.dollarsPerMonth)) a month" } ?? "no price"))
        }
        rows.append(("To keep the \(destination)", "\(RetrievalPrices.about(cost.monthlyDollars)) a month"
            + (cost.countsNoncurrent ? "" : " (noncurrent versions not counted: --count-versions lists them)")))
        if !cost.unpriced.isEmpty { rows.append(("No price", cost.unpriced.joined(separator: ", ") + ": left out")) }
        return table("Cost (estimate at list prices)", rows)
    }

    /// The failed objects the page names per dead task.
    static let failedObjectsShown = 50

    /// The first unexplained differences by key, as the text report names them.
    private static func unexplainedTable(_ check: BackupReport.Verification, sides: (from: String, to: String)) -> String {
        let shown = check.unexplainedKeys.prefix(BackupReport.Verification.textKeys)
        var rows = shown.map {
            "<tr><td>\(escape($0.difference.words(in: sides.to)))</td><td class=\"key\">\(escape($0.key.debugDescription))</td></tr>"
        }.joined()
        let more = check.unexplained - shown.count
        if more > 0 {
            rows += "<tr><td></td><td>… and \(more) more"
                + (check.unexplainedKeys.count > shown.count
                    ? ": <code>s3backup report --json</code> lists them (up to \(BackupReport.Verification.keyCap))"
                    : " not named: the listing did not say whether the \(sides.from) wrote them during the run") + "</td></tr>"
        }
        return "<h2>Unexplained differences</h2><table>\(rows)</table>"
    }

    static func table(_ title: String, _ rows: [(String, String)]) -> String {
        "<h2>\(escape(title))</h2><table>" + rows.map { "<tr><td>\(escape($0.0))</td><td>\(escape($0.1))</td></tr>" }.joined()
            + "</table>"
    }

    /// Objects done over the run, step by step as tasks finished (tasks finish in clumps, so a cumulative line
    /// reads better than per-interval rates); the label gives the average rate.
    private static func throughputChart(_ report: BackupReport) -> String {
        guard let first = report.startedAt ?? report.timeline.first?.at, let last = report.timeline.last?.at else {
            return "<p>No task moved an object.</p>"
        }
        let span = max(last.timeIntervalSince(first), 0.001)
        let total = max(report.timeline.reduce(0) { $0 + $1.objects }, 1)
        let width = 800.0, height = 180.0, left = 50.0, bottom = 20.0
        func x(_ date: Date) -> Double { left + date.timeIntervalSince(first) / span * (width - left - 10) }
        func y(_ done: Int) -> Double { height - bottom - Double(done) / Double(total) * (height - bottom - 20) }
        var done = 0
        var points = [String(format: "%.1f,%.1f", x(first), y(0))]
        for point in report.timeline {
            points.append(String(format: "%.1f,%.1f", x(point.at), y(done)))
            done += point.objects
            points.append(String(format: "%.1f,%.1f", x(point.at), y(done)))
        }
        let average = Double(done) / span
        let rate = ByteCount.rate(Double(report.timeline.reduce(0) { $0 + $1.bytes }) / span)
        return """
            <svg viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="objects done over the run">\
            <polyline points="\(points.joined(separator: " "))" fill="none" stroke="#0969da" stroke-width="2"></polyline>\
            <text x="4" y="14">\(done) objects</text><text x="4" y="\(Int(height - bottom))">0</text>\
            <text x="\(Int(left))" y="\(Int(height) - 4)">0 s</text>\
            <text x="\(Int(width) - 70)" y="\(Int(height) - 4)">\(String(format: "%.1f", span)) s</text>\
            <text x="\(Int(width) / 2 - 80)" y="14">average \(String(format: "%.1f", average)) objects/s, \(rate)</text></svg>
            """
    }

    /// Objects to copy or delete per unit, the 20 busiest.
    private static func unitChart(_ units: [BackupReport.UnitWork]) -> String {
        let busiest = units.map { ($0.unit, $0.findings.missing + $0.findings.changed + $0.findings.extra) }
            .filter { $0.1 > 0 }.sorted { $0.1 > $1.1 }.prefix(20)
        guard let top = busiest.first?.1 else { return "<p>Nothing to copy or delete.</p>" }
        let row = 22.0, width = 800.0
        var body = ""
        for (index, (unit, work)) in busiest.enumerated() {
            let y = Double(index) * row + 4
            let name = unit.replacingOccurrences(of: "deep:", with: "").replacingOccurrences(of: "flat:", with: "(top of) ")
            body += String(format: "<rect x=\"260\" y=\"%.0f\" width=\"%.1f\" height=\"16\" fill=\"#8250df\"></rect>", y,
                           Double(work) / Double(top) * (width - 330))
            body += "<text x=\"4\" y=\"\(Int(y) + 12)\">\(escape(name.isEmpty ? "(whole bucket)" : name))</text>"
            body += "<text x=\"\(Int(266 + Double(work) / Double(top) * (width - 330)))\" y=\"\(Int(y) + 12)\">\(work)</text>"
        }
        return "<svg viewBox=\"0 0 \(Int(width)) \(Int(Double(busiest.count) * row + 8))\" role=\"img\" aria-label=\"work per prefix\">\(body)</svg>"
    }

    /// Text made safe for HTML element content and quoted attribute values: `&`, `<`, `>`, `"` and `'` become
    /// character references. By Unicode scalar, not by `Character`: an HTML tokenizer reads code points, while a
    /// grapheme cluster can hold a `<` behind a prepended mark (U+0600 ARABIC NUMBER SIGN + `<` is one `Character`,
    /// not equal to "<") or in front of a combining mark, so a walk by `Character` leaves it as markup.
    /// https://html.spec.whatwg.org/multipage/parsing.html#data-state,
    /// https://www.unicode.org/reports/tr29/#GB9b
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Task counts as words.
enum TaskCounts {
    static func text(_ tasks: [String: Int]) -> String {
        ["succeeded", "dead", "ready", "running"].map { "\(tasks[$0] ?? 0) \($0)" }.joined(separator: ", ")
    }
}
