import Foundation
import Mail

/// The one mailer of what s3backup did: a run's or a restore's report, a drill's result, a run that ended without a
/// report (failed, or stopped), and the listed keys a restore could not find. Each subject says the outcome first
/// (`OK`, `PARTIAL`, `FAILED`, …); a report that is not a success, and a run without one, carry the last lines of
/// the run's log. A mail that cannot be sent is told to `log` and answered `false`, never thrown: what the command did
/// stands either way, and its exit status says the mail failed only when nothing worse happened.
public struct ReportMailer: Sendable {
    /// The server and the addresses.
    public let settings: SMTPSettings
    /// Where a sent mail, or one that could not be sent, is told.
    public let log: @Sendable (String) -> Void

    /// The lines of the run's log a mail carries.
    static let logLines = 30

    /// A mailer through `settings`; `log` hears what became of each mail.
    public init(settings: SMTPSettings, log: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.log = log
    }

    /// Mails a finished run's report (the last lines of `logFile` too, unless it succeeded).
    public func report(_ report: BackupReport, logFile: String?) async -> Bool {
        let verdict = report.verdict == .success ? "OK" : report.verdict.rawValue.uppercased()
        let body = report.text + (report.verdict == .success ? "" : Self.tail(of: logFile))
        return await send("\(verdict): \(report.title) (run \(report.run))", body,
                          sent: "report of run \(report.run) mailed to \(addresses)")
    }

    /// Mails a period's summary (the weekly mail).
    public func summary(_ summary: PeriodSummary) async -> Bool {
        await send(summary.subject, summary.text, sent: "summary mailed to \(addresses)")
    }

    /// Mails that `command` ended without a report: `verdict` (`FAILED`, `STOPPED`) with the one-line `reason` in the
    /// subject (bounded, without control characters), the reason whole and the last lines of `logFile` in the body.
    public func outcome(_ verdict: String, of command: String, reason: String, logFile: String?) async -> Bool {
        var line = String(reason.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
        if line.count > 160 { line = line.prefix(159) + "…" }
        return await send("\(verdict): \(command): \(line)", "\(command): \(reason)" + Self.tail(of: logFile),
                          failure: "the \(verdict) mail could not be sent: ")
    }

    /// Mails the listed keys a restore did not find in the backup, each named (its report cannot say it), so a
    /// partial restore is not known only to whoever read its exit status.
    public func notInBackup(_ listed: ListedKeys, report: BackupReport) async -> Bool {
        let count = listed.notInBackup.count
        return await send("PARTIAL: \(report.title) (run \(report.run)): \(count) listed key\(count == 1 ? "" : "s") not in the backup",
                          (listed.lines(limit: 1_000) + ["", report.text]).joined(separator: "\n"),
                          sent: "the listed keys not in the backup were mailed to \(addresses)")
    }

    /// Mails a recovery drill's result.
    public func drill(_ result: Drill.Result, source: String, backup: String) async -> Bool {
        await send("\(result.passed ? "OK" : "FAILED"): recovery drill \(source) → \(backup)", result.text)
    }

    private var addresses: String { settings.to.joined(separator: ", ") }

    /// Sends one mail; `sent` is told when it went, `failure` is put before the error when it did not.
    private func send(_ subject: String, _ body: String, sent: String? = nil, failure: String = "") async -> Bool {
        do {
            try await Mailer.send(subject: subject, body: body, settings: settings)
            if let sent { log(sent) }
            return true
        } catch {
            log(failure + "\(error)")
            return false
        }
    }

    /// The last lines of the log at `path`, as a paragraph to append; empty without a log, or an empty one.
    private static func tail(of path: String?) -> String {
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else { return "" }
        return "\n\nThe last lines of the log \(path):\n" + text.split(separator: "\n").suffix(logLines).joined(separator: "\n")
    }
}
