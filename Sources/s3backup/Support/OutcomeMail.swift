import Backup
import Foundation
import Mail

/// The mail of a run that ended without a report (it failed, or was stopped): a subject that says so with the
/// one-line reason, and the last lines of the run's log. A mail that cannot be sent is logged; it never hides the
/// run's own outcome.
func mailOutcome(_ verdict: String, of command: String, reason: String, settings: SMTPSettings?, runner: BackupRunner?) async {
    guard let settings else { return }
    var body = "\(command): \(reason)"
    if let logFile = runner?.logFile, let text = try? String(contentsOfFile: logFile, encoding: .utf8), !text.isEmpty {
        body += "\n\nThe last lines of the log \(logFile):\n" + text.split(separator: "\n").suffix(30).joined(separator: "\n")
    }
    do {
        // The subject is one line of bounded length; the body has the reason whole.
        var line = String(reason.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
        if line.count > 160 { line = line.prefix(159) + "…" }
        try await Mailer.send(subject: "\(verdict): \(command): \(line)", body: body, settings: settings)
    } catch {
        let line = "the \(verdict) mail could not be sent: \(error)"
        StandardError.say(line)
        runner?.record(line)
    }
}
