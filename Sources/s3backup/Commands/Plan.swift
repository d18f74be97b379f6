import ArgumentParser
import Backup
import Foundation
import Queue

extension S3Backup {
    /// `s3backup plan`: lists both buckets and fills the queue.
    struct Plan: S3BackupCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the primary and the backup, diff them, and queue the copies and deletes; print the run id.",
            discussion: "Example: s3backup plan --source s3://primary --backup s3://backup --db queue.db --dryrun\n\n" + "Running it again for an unfinished run continues that run's planning. With --dryrun nothing "
                + "is written anywhere.\n\n"
                + ConfigFile.helpText(for: "plan") + "\n\n"
                + ExitStatus.helpText(for: ExitStatus.everyCommand + ExitStatus.reachingS3 + [.refused])
        )

        @OptionGroup var options: BackupOptions
        @Option(help: "The queue, a SQLite file or a PostgreSQL database (required unless --dryrun).") var db: String?
        @Flag(help: "Print what would be copied and deleted, change nothing.") var dryrun = false
        @Flag(help: "Print the outcome as JSON.") var json = false

        func validate() throws {
            if db == nil && !dryrun { throw ValidationError("--db is required (or use --dryrun)") }
        }

        func execute() async throws {
            let environment = ProcessInfo.processInfo.environment
            if dryrun {
                // A dry run changes nothing, but compares by the catalog of the queue named, if any.
                var planner = try Planner(parameters: options.parameters, environment: environment)
                planner.catalog = try existingQueue(db)
                return try await preview(planner)
            }
            let (parameters, warnings) = try await options.parameters.prepared(environment: environment,
                                                                              allowUnversioned: options.allowUnversioned)
            warnings.forEach(Log.standardError)
            let queue = try QueueLocation(db!).open()
            let requests = RunRequestCounter(pacer: FleetPacer(queue: queue, log: Log.standardError))
            var planner = try Planner(parameters: parameters, environment: environment, observer: requests)
            planner.catalog = queue
            // A run whose tasks are all done is finished, so that it is not taken for one to go on with.
            try await queue.finishIdleRuns()
            let (run, _) = try await RunOpening(queue: queue, parameters: parameters).unfinishedOrNew()
            guard try await queue.run(run).state == .planning else {
                let left = try await queue.outstanding(run: run)
                Log.standardError("run \(run) between these buckets is planned and still has \(left) task(s) to do; "
                    + "no new run is planned until it is done (`s3backup work --db \(db!)` does them)")
                print(run)
                return
            }
            let outcome = try await BackupPlanning(planner: planner, queue: queue, run: run, owner: ProcessIdentity.current,
                                                   leaseRenewal: QueueSettings().leaseDuration / 3, requests: requests,
                                                   log: Log.standardError).execute()
            print(run)
            var standardError = StandardError()
            print(PlanText.summary(outcome.findings), to: &standardError)
            if let refusal = outcome.deletesRefused {
                print(refusal, to: &standardError)
                throw ExitCode(ExitStatus.refused.rawValue)
            }
        }

        private func preview(_ planner: Planner) async throws {
            let sink = PreviewSink()
            let findings = try await planner.planAll(into: sink)
            let refusal = BackupPlanning.deleteRefusal(findings, cap: planner.parameters.maxDelete)
            var lines = ["dry run: nothing was changed", PlanText.summary(findings)]
            let samples = sink.samples
            if !samples.copies.isEmpty { lines.append("first to copy:\n" + samples.copies.map { "  \($0)" }.joined(separator: "\n")) }
            if !samples.deletes.isEmpty {
                lines.append("first to delete:\n" + samples.deletes.map { "  \($0)" }.joined(separator: "\n"))
            }
            if let refusal { lines.append(refusal) }
            print(lines.joined(separator: "\n"))
        }
    }
}

/// Plan numbers as text.
enum PlanText {
    static func summary(_ findings: PlanFindings) -> String {
        "source \(findings.sourceObjects) objects, backup \(findings.backupObjects) objects: \(findings.missing) new, "
            + "\(findings.changed) changed (\(findings.unproven) of the same size with other ETags and no catalog row, compared by "
            + "checksum before copying; \(findings.changedInBackup) changed in the backup), \(findings.same) unchanged "
            + "(\(findings.sameByRecord) by the catalog), \(findings.extra) only in the backup"
    }
}
