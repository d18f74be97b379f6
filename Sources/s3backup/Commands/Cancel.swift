import ArgumentParser
import Backup
import Queue

extension S3Backup {
    /// `s3backup cancel`: ends a run that must not be finished.
    struct Cancel: S3BackupCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel an unfinished run: its queued tasks are removed, and the next run starts anew instead of finishing it.",
            discussion: "Example: s3backup cancel --db /var/lib/s3backup/queue.db --run 42\n\n" + "Tasks a worker holds "
                + "finish; nothing new starts. Failed tasks stay for `s3backup failed`. `s3backup status` lists the runs.\n\n"
                + ConfigFile.helpText(for: "cancel") + "\n\n"
                + ExitStatus.helpText(for: ExitStatus.everyCommand)
        )

        @OptionGroup var queue: QueueOptions
        @Option(help: "The run to cancel.") var run: RunID

        func execute() async throws {
            let (previous, removed) = try await queue.openExisting().cancel(run: run, note: "cancelled by an operator")
            guard previous == .planning || previous == .running else {
                throw BackupError.cannotCancel(run: run, reason: "it is \(previous.rawValue) already")
            }
            try queue.emit(["run": Int(run), "removedTasks": removed]) {
                "cancelled run \(run) (it was \(previous.rawValue)); removed \(removed) queued task\(removed == 1 ? "" : "s")"
            }
        }
    }
}
