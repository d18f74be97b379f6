import ArgumentParser
import Queue

extension S3Backup {
    /// `s3backup failed`: dead tasks and the objects that failed in them.
    struct Failed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List tasks that failed on every attempt, with the objects and errors recorded for them.",
            discussion: "Example: s3backup failed --db /var/lib/s3backup/queue.db --run 12\n\n" + "Put them back with `s3backup retry`.\n\n" + ExitStatus.helpText
        )

        @OptionGroup var queue: QueueOptions
        @Option(help: "Only this run.") var run: RunID?

        func run() async throws {
            try await reportingErrors {
                let dead = try await queue.openExisting().deadTasks(run: run)
                try queue.emit(["tasks": dead]) {
                    dead.isEmpty ? "no failed tasks" : dead.map(Failed.describe).joined(separator: "\n")
                }
            }
        }

        static func describe(_ task: DeadTask) -> String {
            var lines = ["task \(task.id)  run \(task.run)  \(task.kind)  \(task.attempts) attempt\(task.attempts == 1 ? "" : "s")  "
                + "last error: \(task.lastError ?? "none recorded")"]
            lines += task.failures.map { "  \($0.subject): \($0.error)" }
            return lines.joined(separator: "\n")
        }
    }
}
