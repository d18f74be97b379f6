import ArgumentParser
import Foundation
import Queue

extension S3Backup {
    /// `s3backup status`: runs and their tasks.
    struct Status: S3BackupCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show runs: tasks by state, the age of the oldest waiting task, throughput, retries, retrievals waited for.",
            discussion: "Example: s3backup status --db /var/lib/s3backup/queue.db\n\n"
                + ConfigFile.helpText(for: "status") + "\n\n"
                + ExitStatus.helpText(for: ExitStatus.everyCommand)
        )

        @OptionGroup var queue: QueueOptions
        @Option(help: "How many runs, newest first.") var limit = 10

        func execute() async throws {
            let runs = try await queue.openExisting().runs(limit: limit)
            try queue.emit(["runs": runs]) {
                runs.isEmpty ? "no runs in \(queue.shownLocation)" : runs.map(Status.describe).joined(separator: "\n")
            }
        }

        static func describe(_ run: RunSummary) -> String {
            let counts = TaskState.allCases.map { "\(run.tasks[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
            var lines = [
                "run \(run.id)  \(run.kind)  \(run.source) → \(run.destination)  \(run.state.rawValue)  "
                    + "created \(run.createdAt.formatted(.iso8601))"
                    + (run.finishedAt.map { "  finished \($0.formatted(.iso8601))" } ?? ""),
                "  tasks: \(counts)  oldest waiting: "
                    + (run.oldestReadySeconds.map { String(format: "%.0f s", $0) } ?? "none")
                    + String(format: "  throughput: %.1f tasks/min (last 5 min)", run.tasksPerMinute),
            ]
            lines.append("  retries: \(run.retries) of tasks, \(run.requestRetries) of S3 requests (\(run.throttledRequests) throttled)")
            if let next = run.waiting.nextCheck {
                lines.append("  waiting: \(run.waiting.tasks) task(s) for \(run.waiting.objects) archived object(s) S3 is retrieving; "
                    + "next check \(next.formatted(.iso8601))")
            }
            if let note = run.note { lines.append("  note: \(note)") }
            return lines.joined(separator: "\n")
        }
    }
}
