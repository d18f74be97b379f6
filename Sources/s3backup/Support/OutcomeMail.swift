import ArgumentParser
import Backup
import Foundation
import Mail

/// Runs `body`, a command that ends with a report, and tells how it ended when it did not: stopped (SIGTERM,
/// SIGINT) is printed, logged, mailed STOPPED and exits with its status; any other failure is logged and mailed
/// FAILED with its one-line reason, then thrown on for its own exit status. `runner` is the runner once there is one
/// (a failure before it has no log to write to).
func tellingOutcome(of command: String, mail settings: SMTPSettings?, runner: () -> BackupRunner?,
                    _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let stopped as RunStopped {
        StandardError.say("\(stopped)")
        runner()?.record("\(stopped)")
        await mailOutcome("STOPPED", of: command, reason: stopped.description, settings: settings, runner: runner())
        throw ExitCode(ExitStatus.of(stopped).rawValue) // said already: only the status is left
    } catch let error where !(error is ExitCode) {
        // Whatever stage failed, the log and the mail say why, as the console does.
        runner()?.record("s3backup: \(error)")
        await mailOutcome("FAILED", of: command, reason: "\(error)", settings: settings, runner: runner())
        throw error
    }
}

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
