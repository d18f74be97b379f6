import ArgumentParser
import Backup
import Foundation
import Queue

extension S3Backup {
    /// `s3backup run`: the nightly command.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Back up: plan, copy with local worker processes, verify, print the summary.",
            discussion: "Example: s3backup run --source s3://primary --backup s3://backup --db /var/lib/s3backup/queue.db --workers 4\n\n" + "The nightly command. After an interruption, running it again finishes the unfinished run "
                + "first, then makes a new one. Exits 0 only when the backup matches the primary.\n\n" + ExitStatus.helpText
        )

        @OptionGroup var options: BackupOptions
        @Option(help: "The queue database (SQLite, on a local disk).") var db: String
        @Option(help: "Worker processes (default: the number of cores, at least 2).") var workers = BackupRunner.Options().workers
        @Option(help: "Objects transferred at once by each worker.") var concurrency = Worker.Options.defaultConcurrency
        @Option(help: "How long a claimed task stays a worker's without a heartbeat.") var leaseSeconds = 60
        @Option(help: "Finished runs older than this many days are pruned from the queue.") var keepDays = 30
        @Option(help: "Directory of the run logs (default: /var/log/s3backup if writable, else ~/.local/state/s3backup).")
        var logDir: String?
        @Option(help: "Log files older than this many days are removed.") var logRetentionDays = 30
        @Flag(help: "Print the reports as JSON.") var json = false
        @OptionGroup var mail: MailOptions

        func validate() throws {
            guard (1...64).contains(workers) else { throw ValidationError("--workers must be 1 to 64") }
            guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 256") }
        }

        func run() async throws {
            try await reportingErrors {
                let queue = try openQueue(db, leaseSeconds: leaseSeconds)
                var runnerOptions = BackupRunner.Options()
                runnerOptions.workers = workers
                runnerOptions.concurrency = concurrency
                runnerOptions.leaseSeconds = leaseSeconds
                runnerOptions.keepDays = keepDays
                runnerOptions.logDirectory = logDir ?? RunLog.defaultDirectory(environment: ProcessInfo.processInfo.environment)
                runnerOptions.logRetentionDays = logRetentionDays
                runnerOptions.allowUnversioned = options.allowUnversioned
                // A live line on a terminal; nothing but the summary under cron.
                let terminal = isatty(STDOUT_FILENO) == 1
                if terminal {
                    runnerOptions.progress = { line in
                        FileHandle.standardOutput.write(Data("\r\u{1B}[K\(line)".utf8))
                    }
                }
                let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
                let mailSettings = try mail.settings(environment: ProcessInfo.processInfo.environment)
                let runner = try BackupRunner(queue: queue, database: db, executable: executable, options: runnerOptions,
                                          environment: ProcessInfo.processInfo.environment,
                                          owner: ProcessIdentity.current, log: Log.standardError)
                let reports = try await runner.execute(options.parameters)
                if terminal { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
                let mailed = try await publish(reports, json: json, mail: mailSettings, runner: runner)
                let status = ExitStatus.of(reports.last!.verdict, mailed: mailed)
                if status != .success { throw ExitCode(status.rawValue) }
            }
        }
    }
}
