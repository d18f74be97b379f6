import ArgumentParser
import Backup
import Foundation
import Queue
import S3

extension S3Backup {
    /// `s3backup report`: a run's numbers, and the buckets compared now.
    struct Report: S3BackupCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a backup run's numbers and compare the primary with the backup now.",
            discussion: "Example: s3backup report --db /var/lib/s3backup/queue.db --html /tmp/report.html\n\n" + "Differences are explained when the primary wrote the object after the run began, or when the "
                + "delete cap kept it; anything else is unexplained and the exit status says so. Unexplained "
                + "differences are named by key: the first \(BackupReport.Verification.textKeys) in the text (and the "
                + "mail and the page), up to \(BackupReport.Verification.keyCap) with --json.\n\n"
                + "The report is mailed only when asked: with --mail (the addresses and server may come from the config "
                + "file's [mail] table), or with --mail-to on the command line.\n\n" + ConfigFile.helpText(for: "report") + "\n\n"
                + ExitStatus.helpText(for: ExitStatus.everyCommand + ExitStatus.reachingS3 + [.partial, .refused, .mailFailed])
        )

        @OptionGroup var queue: QueueOptions
        @Option(help: "The run (default: the newest backup run).") var run: RunID?
        @Option(help: "Instead of one run: summarize every run and drill since then (7d, 30d, an ISO 8601 date), with their costs: the weekly mail.")
        var since: String?
        @Flag(help: "Skip listing the buckets again (report only what the queue kept).") var noVerify = false
        @Option(help: "Also write the report as one self-contained HTML page to this file.") var html: String?
        @Flag(name: .customLong("mail"),
              help: "Mail the report to the --mail-to addresses, wherever they are set (command line, S3BACKUP_MAIL_TO, the config file's [mail] table).")
        var mailAsked = false
        @OptionGroup var mail: MailOptions
        @OptionGroup var prices: PriceOptions
        @OptionGroup var versions: VersionCountOptions

        func validate() throws {
            if let since, History.since(since) == nil {
                throw ValidationError("--since \(since.debugDescription) is not 7d, 12h, 90m or an ISO 8601 date (2026-11-01)")
            }
            if since != nil && (run != nil || html != nil) { throw ValidationError("--since summarizes a period: it takes no --run or --html") }
            if mailAsked && mail.to.isEmpty {
                throw ValidationError("--mail needs addresses: pass --mail-to, set S3BACKUP_MAIL_TO, or write mail-to = [\"…\"] "
                    + "under [mail] in the config file (with mail-from and smtp-url)")
            }
        }

        /// Whether `--mail-to` was typed on this command line: the config file's [mail] table (which `run` uses every
        /// night) and S3BACKUP_MAIL_TO set it for every command that can mail, and a look at a report is no reason to
        /// mail one.
        static func mailToTyped(_ arguments: [String] = CommandLine.arguments) -> Bool {
            arguments.dropFirst().prefix { $0 != "--" }.contains { $0 == "--mail-to" || $0.hasPrefix("--mail-to=") }
        }

        func execute() async throws {
            let store = try queue.openExisting()
            if let since { return try await summarize(store, since: History.since(since)!) }
            let id = try await BackupReport.subject(run, in: store, path: queue.shownLocation)
            var report = try await BackupReport.load(queue: store, run: id, prices: try prices.prices)
            try await report.addTrend(from: store, now: report.startedAt.map { $0.addingTimeInterval(max(report.seconds, 0)) } ?? Date())
            if !noVerify || versions.countVersions {
                var planner = try Planner(parameters: try RunParameters.stored(in: try await store.run(id)),
                                          environment: ProcessInfo.processInfo.environment)
                planner.catalog = store
                if !noVerify { try await report.verify(with: planner, since: report.startedAt ?? Date()) }
                if versions.countVersions { await report.countVersions(with: planner, prices: try prices.prices, log: Log.standardError) }
            }
            if let html { try writePage(ReportPage.html(report), to: html, what: "the HTML report") }
            try queue.emit(report) { report.text }
            let asked = mailAsked || Self.mailToTyped()
            let settings = asked ? try mail.settings(environment: ProcessInfo.processInfo.environment) : nil
            let mailed = await settings.map { ReportMailer(settings: $0, log: Log.standardError) }?.report(report, logFile: nil) ?? true
            let status = ExitStatus.of(report, mailed: mailed)
            if status != .success { throw ExitCode(status.rawValue) }
        }

        /// The period's summary, printed and, when asked, mailed; 0 unless the mail failed (the summary tells how the
        /// runs went: each run's own exit status said so already).
        private func summarize(_ store: any TaskQueue, since: Date) async throws {
            let summary = try await PeriodSummary.load(queue: store, since: since, prices: try prices.prices)
            try queue.emit(summary) { summary.text }
            let asked = mailAsked || Self.mailToTyped()
            guard asked, let settings = try mail.settings(environment: ProcessInfo.processInfo.environment) else { return }
            if await !ReportMailer(settings: settings, log: Log.standardError).summary(summary) { throw ExitCode(ExitStatus.mailFailed.rawValue) }
        }
    }
}
