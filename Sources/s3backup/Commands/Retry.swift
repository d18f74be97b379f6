import ArgumentParser
import Queue

extension S3Backup {
    /// `s3backup retry`: dead tasks back into the queue.
    struct Retry: S3BackupCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put failed tasks back into the queue with fresh attempts; workers then pick them up.",
            discussion: "Example: s3backup retry --db /var/lib/s3backup/queue.db --task 4711\n\n"
                + "Without --run or --task, every failed task of every run. The attempts already made stay on the "
                + "books: the run's report counts them as retries, and `failed` as attempts.\n\n" + ConfigFile.helpText(for: "retry")
                + "\n\n" + ExitStatus.helpText(for: ExitStatus.everyCommand)
        )

        @OptionGroup var queue: QueueOptions
        @Option(help: "Only the failed tasks of this run.") var run: RunID?
        @Option(name: .customLong("task"), help: "Only this task (repeatable).") var tasks: [TaskID] = []

        func validate() throws {
            if run != nil && !tasks.isEmpty { throw ValidationError("give --run or --task, not both") }
        }

        func execute() async throws {
            let count = try await queue.openExisting().retry(run: run, tasks: tasks.isEmpty ? nil : tasks)
            try queue.emit(["requeued": count]) { "requeued \(count) task\(count == 1 ? "" : "s")" }
        }
    }
}
