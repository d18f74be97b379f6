import Backup
import Foundation
import Mail

/// Mails a run's report; returns whether it went out (a failure is logged, never thrown: the run's result
/// stands either way).
func mailReport(_ report: BackupReport, settings: SMTPSettings?, logFile: String?, log: @Sendable (String) -> Void) async -> Bool {
    guard let settings else { return true }
    var body = report.text
    if report.verdict != .success, let logFile,
       let text = try? String(contentsOfFile: logFile, encoding: .utf8) {
        body += "\n\nThe last lines of the log \(logFile):\n" + text.split(separator: "\n").suffix(30).joined(separator: "\n")
    }
    let subject = "\(report.verdict == .success ? "OK" : report.verdict.rawValue.uppercased()): \(report.source) → \(report.backup) (run \(report.run))"
    do {
        try await Mailer.send(subject: subject, body: body, settings: settings)
        log("report of run \(report.run) mailed to \(settings.to.joined(separator: ", "))")
        return true
    } catch {
        log("\(error)")
        return false
    }
}
