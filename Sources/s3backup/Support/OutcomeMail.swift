import ArgumentParser
import Backup
import Foundation
import Mail

/// Runs `body`, a command that ends with a report, and tells how it ended when it did not: stopped (SIGTERM,
/// SIGINT) is printed, logged, mailed STOPPED and exits with its status, as is waiting for archived objects
/// (`--no-wait`, WAITING); any other failure is logged and mailed
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
    } catch let pending as RetrievalsPending {
        StandardError.say("\(pending)")
        runner()?.record("\(pending)")
        await mailOutcome("WAITING", of: command, reason: pending.description, settings: settings, runner: runner())
        throw ExitCode(ExitStatus.of(pending).rawValue)
    } catch let error where !(error is ExitCode) {
        // Whatever stage failed, the log and the mail say why, as the console does.
        runner()?.record("s3backup: \(error)")
        await mailOutcome("FAILED", of: command, reason: "\(error)", settings: settings, runner: runner())
        throw error
    }
}

/// Mails that `command` ended without a report; a mail that cannot be sent is said and logged, and never hides the
/// command's own outcome.
private func mailOutcome(_ verdict: String, of command: String, reason: String, settings: SMTPSettings?,
                         runner: BackupRunner?) async {
    guard let settings else { return }
    let mailer = ReportMailer(settings: settings) { line in
        StandardError.say(line)
        runner?.record(line)
    }
    _ = await mailer.outcome(verdict, of: command, reason: reason, logFile: runner?.logFile)
}
