import ArgumentParser
import Backup
import Foundation
import Queue

extension S3Backup {
    /// `s3backup work`: one worker process.
    struct Work: S3BackupCommand {
        static let configuration = CommandConfiguration(
            abstract: "Claim tasks from the queue and do them: copy, verify, delete.",
            discussion: "Example: s3backup work --db /var/lib/s3backup/queue.db --concurrency 16\n\n" + "Start several on one host for large buckets. SIGTERM or SIGINT: stop claiming, finish what is "
                + "held, exit; a second signal exits at once (held tasks return to the queue when their leases expire)."
                + "\n\n" + ConfigFile.helpText(for: "work") + "\n\n"
                + ExitStatus.helpText(for: ExitStatus.everyCommand)
        )

        @Option(help: "The queue: a SQLite file, or a PostgreSQL database (postgresql://…).") var db: String
        @Option(help: "Objects transferred at once by this process.") var concurrency = Worker.Options.defaultConcurrency
        @Flag(help: "Exit when no task is left to do or to wait for.") var untilIdle = false
        @Option(help: "Only this run's tasks (default: any run's).") var run: RunID?
        @Option(help: "Also append what this worker changes in the backup, and its errors, to this log file.")
        var logFile: String?
        @Option(help: "How long a claimed task stays this worker's without a heartbeat.") var leaseSeconds = 60
        @Option(help: .hidden) var parentPid: Int32?

        func validate() throws {
            guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 256") }
            guard leaseSeconds >= 1 else { throw ValidationError("--lease-seconds must be at least 1") }
        }

        func execute() async throws {
            // Heard from before the queue opens: a worker told to stop as soon as it started claims nothing.
            let stop = StopFlag()
            try await StopSignals.during(request: stop.request, log: Log.standardError) {
                let queue = try openQueue(db, leaseSeconds: leaseSeconds)
                var options = Worker.Options()
                options.concurrency = concurrency
                options.untilIdle = untilIdle
                options.run = run
                options.heartbeat = .seconds(Double(leaseSeconds) / 3)
                options.retrievalCheck = try Worker.Options.retrievalCheck(environment: ProcessInfo.processInfo.environment)
                let orphaned = parentPid.map { OrphanWatch.start(parent: $0, stop: stop, log: Log.standardError) }
                defer { orphaned?.cancel() }
                let file = try logFile.map { try RunLog(appendingTo: $0) }
                let log: @Sendable (String) -> Void = { line in
                    Log.standardError(line)
                    file?.line(line)
                }
                let worker = Worker(queue: queue, id: ProcessIdentity.current, options: options,
                                    environment: ProcessInfo.processInfo.environment, stop: stop, log: log,
                                    changes: { file?.line($0) })
                let outcome = try await worker.run()
                Log.standardError("worker \(ProcessIdentity.current): \(outcome.copied) copied, \(outcome.deleted) deleted")
            }
        }

        /// This program as a worker of `run` and `restore`: `work` with the assignment's flags, and the queue's
        /// location in S3BACKUP_DB, which the config layer reads as --db (off the command line, so a location that
        /// holds a password would not show in /proc/PID/cmdline).
        static func launcher(database: String) -> WorkerLauncher {
            WorkerLauncher(executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
                           environment: ["S3BACKUP_DB": database]) { assignment in
                ["work", "--run", String(assignment.run), "--until-idle", "--concurrency", String(assignment.concurrency),
                 "--lease-seconds", String(assignment.leaseSeconds), "--log-file", assignment.logFile,
                 "--parent-pid", String(assignment.parent)]
            }
        }
    }
}
