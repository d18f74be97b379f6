import ArgumentParser
import Backup
import Queue

extension S3Backup {
    /// `s3backup failed`: dead tasks and the objects that failed in them.
    struct Failed: S3BackupCommand {
        static let configuration = CommandConfiguration(
            abstract: "List tasks that failed on every attempt, with the objects and errors recorded for them.",
            discussion: "Example: s3backup failed --db /var/lib/s3backup/queue.db --run 12\n\n"
                + "Each object is named once, with the attempts it failed in and its last error; attempts count every "
                + "round, those before a `retry` included. Put them back with `s3backup retry`.\n\n" + ConfigFile.helpText(for: "failed")
                + "\n\n" + ExitStatus.helpText(for: ExitStatus.everyCommand)
        )

        @OptionGroup var queue: QueueOptions
        @Option(help: "Only this run.") var run: RunID?

        func execute() async throws {
            let dead = try await queue.openExisting().deadTasks(run: run)
            try queue.emit(["tasks": dead]) {
                dead.isEmpty ? "no failed tasks" : dead.map(Failed.describe).joined(separator: "\n")
            }
        }

        static func describe(_ task: DeadTask) -> String {
            func attempts(_ count: Int) -> String { "\(count) attempt\(count == 1 ? "" : "s")" }
            var lines = ["task \(task.id)  run \(task.run)  \(task.kind)  \(attempts(task.attempts))  "
                + "last error: \(task.lastError ?? "none recorded")"]
            lines += task.failures.map { "  \(shown($0.subject)): \($0.error) (failed in \($0.attempts) of \(attempts(task.attempts)))" }
            return lines.joined(separator: "\n")
        }

        /// A key as it is, or quoted as a Swift literal when it holds a control character (a line break in a key
        /// would otherwise start a line of its own).
        static func shown(_ subject: String) -> String {
            subject.utf8.contains(where: ControlEscaping.isControl) ? subject.debugDescription : subject
        }
    }
}
