import ArgumentParser
import Backup
import Foundation

extension S3Backup {
    /// `s3backup history`: the runs of the last nights, as lines, JSON or a page of charts.
    struct HistoryCommand: S3BackupCommand {
        static let configuration = CommandConfiguration(
            commandName: "history",
            abstract: "Show the backup and restore runs the queue kept: one line each, the trend, a page of charts.",
            discussion: "Example: s3backup history --db /var/lib/s3backup/queue.db --since 30d --html /var/www/s3backup/history.html\n\n"
                + "The queue keeps finished runs for run's --keep-days (30 by default): the history reaches back that far. "
                + "Every number is the run's own report's (s3backup report --run N --no-verify).\n\n"
                + ConfigFile.helpText(for: "history") + "\n\n" + ExitStatus.helpText(for: ExitStatus.everyCommand)
        )

        @OptionGroup var queue: QueueOptions
        @Option(help: "How far back: 30d, 12h, 90m, or an ISO 8601 date or time (2026-11-01).") var since = "30d"
        @Option(help: "Also write the history as one self-contained HTML page with charts to this file.") var html: String?
        @OptionGroup var prices: PriceOptions

        func validate() throws {
            guard History.since(since) != nil else {
                throw ValidationError("--since \(since.debugDescription) is not 30d, 12h, 90m or an ISO 8601 date (2026-11-01)")
            }
        }

        func execute() async throws {
            let history = try await History.load(queue: try queue.openExisting(), since: History.since(since)!, prices: try prices.prices)
            if let html { try writePage(HistoryPage.html(history), to: html, what: "the HTML history") }
            try queue.emit(history) { history.text }
        }
    }
}
