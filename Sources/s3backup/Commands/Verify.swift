import ArgumentParser
import Backup
import Foundation
import Mail
import Queue

extension S3Backup {
    /// `s3backup verify`: the recovery drill.
    struct Verify: S3BackupCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare the primary with the backup (every key's size and ETag) and, with --sample, the bodies of N random objects.",
            discussion: "Example: s3backup verify --source s3://primary --backup s3://backup --sample 100\n\n" + "The weekly recovery drill; exits 1 when anything differs, and names the keys that do: the first 20 of "
                + "each kind (missing in the backup, different, only in the backup) in text and mail, up to 100,000 of each "
                + "kind with --json (every count stays exact).\n\n"
                + "On a backup under Object Lock (setup --object-lock) it is also the tamper report: every version still owed a "
                + "lock is asked for it, and versions unlocked or locked too briefly are named, with delete markers no run "
                + "placed (give --db: its catalog knows which are s3backup's); any of them fails the drill.\n\n" + ConfigFile.helpText(for: "verify") + "\n\n"
                + ExitStatus.helpText(for: ExitStatus.everyCommand + ExitStatus.reachingS3 + [.mailFailed])
        )

        @Option(help: "The primary: s3://BUCKET[/PREFIX].") var source: String
        @Option(help: "The backup: s3://BUCKET[/PREFIX].") var backup: String
        @Option(help: "Download this many random objects from both sides and compare their bodies.") var sample = 0
        @Flag(help: "Retrieve the chosen objects that are archived in the backup (Bulk: hours) and compare them when they arrive, so the drill proves the archive too; without it they are counted as not sampled.")
        var sampleArchived = false
        @Option(help: "The backup's queue database: its catalog of copies explains ETags that differ (other encryption on either side, another part layout).")
        var db: String?
        @Flag(help: "Leave out the tamper report of a backup under Object Lock (one HeadObject per version still owed a lock).")
        var skipLockAudit = false
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var mail: MailOptions
        @OptionGroup var metrics: MetricsOptions

        func validate() throws {
            guard sample >= 0 else { throw ValidationError("--sample must be 0 or more") }
            if sampleArchived && sample == 0 { throw ValidationError("--sample-archived is about the --sample objects; give --sample N") }
        }

        func execute() async throws {
            let publisher = try metrics.publisher(RunMetrics(kind: "verify", source: Side(url: source).url, backup: Side(url: backup).url))
            try await publisher.reporting { try await drill(metrics: publisher) }
        }

        private func drill(metrics publisher: MetricsPublisher) async throws {
            let began = Date()
            let environment = ProcessInfo.processInfo.environment
            let parameters = RunParameters(
                source: connection.side(source), backup: connection.side(backup))
            _ = try parameters.source.location()
            _ = try parameters.backup.location()
            var drill = try Drill(parameters: parameters, environment: environment)
            if let db { drill.planner.catalog = try QueueOptions.openExisting(db) }
            if !skipLockAudit, let warning = try await drill.auditLocks() { Log.standardError(warning) }
            if sampleArchived {
                drill.sampleArchived = Drill.ArchivedSampling(firstCheck: try Worker.Options.retrievalCheck(environment: environment),
                                                              log: Log.standardError)
            }
            let result = try await drill.run(sample: sample, keep: json ? KeySample.jsonLimit : KeySample.textLimit)
            publisher.ended(with: result, seconds: Date().timeIntervalSince(began))
            if let db { try await Self.record(result, of: parameters, in: try QueueOptions.openExisting(db)) }
            var output = StandardOutput()
            if json {
                try output.line(String(decoding: try documentEncoder.encode(result), as: UTF8.self))
            } else {
                try output.line(result.text)
            }
            try output.flush()
            let mailer = try mail.settings(environment: environment).map { ReportMailer(settings: $0, log: Log.standardError) }
            let mailed = await mailer?.drill(result, source: source, backup: backup) ?? true
            if !result.passed { throw ExitCode(ExitStatus.failure.rawValue) }
            if !mailed { throw ExitCode(ExitStatus.mailFailed.rawValue) }
        }

        /// Keeps the drill's outcome in the backup's queue as a finished `verify` run whose note says how it went, so
        /// `status` and the weekly summary (`report --since 7d`) show it; pruned with the other runs.
        static func record(_ result: Drill.Result, of parameters: RunParameters, in queue: any TaskQueue) async throws {
            let run = try await queue.createRun(kind: "verify", source: parameters.source.url, destination: parameters.backup.url,
                                                parameters: "{}")
            try await queue.setRunState(run, .finished, note: result.summary)
        }
    }
}
