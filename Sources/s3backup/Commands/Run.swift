import ArgumentParser
import Backup
import Foundation
import Mail
import Queue

extension S3Backup {
    /// `s3backup run`: the nightly command.
    struct Run: S3BackupCommand {
        static let configuration = CommandConfiguration(
            abstract: "Back up: plan, copy with local worker processes, verify, print the summary.",
            discussion: "Example: s3backup run --source s3://primary --backup s3://backup --db /var/lib/s3backup/queue.db --workers 4\n\n" + "The nightly command. After an interruption, running it again finishes the unfinished run "
                + "first, then makes a new one. Exits 0 only when the backup matches the primary.\n\n"
                + ConfigFile.helpText(for: "run") + "\n\n" + ExitStatus.helpText(for: ExitStatus.allCases.filter { $0 != .pending })
        )

        @OptionGroup var options: BackupOptions
        @Option(help: "The queue: a SQLite file on a local disk, or a PostgreSQL database (postgresql://…) for many hosts.") var db: String
        @Option(help: "Worker processes (default: the number of cores, at least 2).") var workers = BackupRunner.Options().workers
        @Option(help: "Objects transferred at once by each worker.") var concurrency = Worker.Options.defaultConcurrency
        @Option(help: "How long a claimed task stays a worker's without a heartbeat.") var leaseSeconds = 60
        @Option(help: "Finished runs older than this many days are pruned from the queue.") var keepDays = 30
        @Option(help: "Directory of the run logs (default: /var/log/s3backup if writable, else ~/.local/state/s3backup).")
        var logDir: String?
        @Option(help: "Run logs (backup-*.log, and the copies logrotate renamed or compressed) last written more than this many days ago are removed at the end of the run; 0 keeps them all.")
        var logRetentionDays = 30
        @Flag(help: "Print the reports as JSON.") var json = false
        @OptionGroup var mail: MailOptions
        @OptionGroup var prices: PriceOptions
        @OptionGroup var versions: VersionCountOptions
        @OptionGroup var metrics: MetricsOptions

        func validate() throws {
            guard (1...64).contains(workers) else { throw ValidationError("--workers must be 1 to 64") }
            guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 256") }
            guard logRetentionDays >= 0 else { throw ValidationError("--log-retention-days must be 0 or more (0 keeps every log)") }
        }

        func execute() async throws {
            let environment = ProcessInfo.processInfo.environment
            let mailSettings = try mail.settings(environment: environment)
            let command = "run \(options.source) → \(options.backup)"
            var runner: BackupRunner?
            let publisher = try metrics.publisher(RunMetrics(kind: "backup", source: Side(url: options.source).url,
                                                             backup: Side(url: options.backup).url))
            try await publisher.reporting {
                try await tellingOutcome(of: command, mail: mailSettings, runner: { runner }) {
                    try await backUp(environment: environment, mail: mailSettings, metrics: publisher) { runner = $0 }
                }
            }
        }

        /// Plans, works and reports the run; `started` hears of the runner as soon as it exists (so a failure can be
        /// written to its log); SIGTERM and SIGINT stop it.
        private func backUp(environment: [String: String], mail mailSettings: SMTPSettings?, metrics: MetricsPublisher,
                            started: (BackupRunner) -> Void) async throws {
            let queue = try openQueue(db, leaseSeconds: leaseSeconds)
            var runnerOptions = BackupRunner.Options()
            runnerOptions.workers = workers
            runnerOptions.concurrency = concurrency
            runnerOptions.leaseSeconds = leaseSeconds
            runnerOptions.keepDays = keepDays
            runnerOptions.logDirectory = logDir ?? RunLog.defaultDirectory(environment: environment)
            runnerOptions.logRetentionDays = logRetentionDays
            runnerOptions.allowUnversioned = options.allowUnversioned
            runnerOptions.prices = try prices.prices
            runnerOptions.countVersions = versions.countVersions
            runnerOptions.metrics = metrics.progress
            runnerOptions.metricsInterval = metrics.interval
            // A live line on a terminal; nothing but the summary under cron.
            let terminal = isatty(STDOUT_FILENO) == 1
            if terminal {
                runnerOptions.progress = { line in
                    FileHandle.standardOutput.write(Data("\r\u{1B}[K\(line)".utf8))
                }
            }
            let runner = try BackupRunner(queue: queue, launcher: Work.launcher(database: db), options: runnerOptions,
                                          environment: environment, owner: ProcessIdentity.current, log: Log.standardError)
            started(runner)
            let reports = try await StopSignals.during(request: runner.stop, log: Log.standardError) {
                try await runner.execute(options.parameters)
            }
            if terminal { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
            reports.last.map(metrics.ended(with:))
            let mailed = try await publish(reports, json: json, mail: mailSettings, runner: runner)
            let status = ExitStatus.of(reports.last!, mailed: mailed)
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }
}
