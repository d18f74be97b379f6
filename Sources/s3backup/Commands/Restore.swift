import ArgumentParser
import Backup
import Foundation
import Mail
import Queue
import S3

extension S3Backup {
    /// `s3backup restore`: the backup copied back into the primary, on the same queue and workers as a backup.
    struct Restore: S3BackupCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the backup back into the primary: all of it, or some prefixes.",
            discussion: "Example: s3backup restore --from s3://backup --to s3://primary --db queue.db --prefix clients/007/ --as-of 2026-11-20T00:00:00Z\n\n" + "Copies what the primary lacks or holds differently; deletes in the primary only with --delete. "
                + "Asks for confirmation on a terminal, and needs --yes otherwise. Resumable like `run`: the same "
                + "command finishes an interrupted restore. SIGTERM or SIGINT stops it: the workers finish what they hold, the stop is "
                + "reported (and mailed), and it exits 5.\n\n" + "With --keys-from, every listed key is accounted for: one the backup "
                + "lacks (with --as-of: lacked then) is named, and the restore exits 2 (partial). A line ending in a carriage "
                + "return (Windows line ends) is refused with its line number, unless --exact-keys says the keys really end so.\n\n"
                + ConfigFile.helpText(for: "restore") + "\n\n" + ExitStatus.helpText(for: ExitStatus.allCases)
        )

        @Option(help: "The backup to restore from: s3://BUCKET[/PREFIX].") var from: String
        @Option(help: "The primary to restore into: s3://BUCKET[/PREFIX].") var to: String
        @Option(help: "The queue: a SQLite file, or a PostgreSQL database (postgresql://…).") var db: String
        @Option(name: .customLong("prefix"), help: "Restore only keys under this folder (repeatable; clients/007 is clients/007/).") var prefixes: [String] = []
        @Option(help: "Restore only the keys listed in this file, one per line, byte for byte (relative to the --from and --to prefixes); a listed key the backup lacks is named and makes the restore partial (exit 2).")
        var keysFrom: String?
        @Flag(help: "Take every line of --keys-from as a key byte for byte, even one ending in a carriage return or beginning with a byte-order mark (otherwise refused as a Windows line end).")
        var exactKeys = false
        @Option(help: "Restore each key as the backup held it at this moment (ISO 8601, e.g. 2026-11-20T00:00:00Z), from its versions.")
        var asOf: String?
        @Flag(help: "Also delete objects of the primary that the backup lacks (with --as-of: that did not exist then), within the restored prefixes.")
        var delete = false
        @Flag(help: "Do not ask for confirmation.") var yes = false
        @Flag(help: "Print what would change, change nothing: the counts and the keys to copy and to delete (the first 20; with --json up to 100,000 of each).")
        var dryrun = false
        @Flag(help: "Print the reports (with --dryrun, what would change) as JSON.") var json = false
        @Option(help: "Storage class of the restored copies.") var storageClass = "STANDARD"
        @OptionGroup var archives: ArchiveOptions
        @Flag(help: "Do not wait for archived objects S3 is retrieving: ask for them, copy what is readable, and exit 75 while retrievals are pending; the same command later copies them.")
        var noWait = false
        @Option(help: "Worker processes.") var workers = BackupRunner.Options().workers
        @Option(help: "Objects transferred at once by each worker.") var concurrency = Worker.Options.defaultConcurrency
        @Option(help: "How long a claimed task stays a worker's without a heartbeat.") var leaseSeconds = 60
        @Option(help: "Directory of the run logs.") var logDir: String?
        @OptionGroup var encryption: EncryptionOptions
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var mail: MailOptions
        @OptionGroup var prices: PriceOptions
        @OptionGroup var versions: VersionCountOptions
        @OptionGroup var metrics: MetricsOptions

        func validate() throws {
            for url in [from, to] {
                do { _ = try S3URL(url) } catch { throw ValidationError("\(error)") }
            }
            if keysFrom != nil && !prefixes.isEmpty { throw ValidationError("give --prefix or --keys-from, not both") }
            if exactKeys && keysFrom == nil { throw ValidationError("--exact-keys is about the --keys-from file; give one") }
            if let asOf, S3Time.parse(asOf) == nil {
                throw ValidationError("--as-of \(asOf.debugDescription) is not an ISO 8601 moment like 2026-11-20T00:00:00Z")
            }
        }

        /// The --keys-from list, read whole; nil without one.
        private func keyList() throws -> KeyList? {
            guard let keysFrom else { return nil }
            return try KeyList.read(path: keysFrom, exact: exactKeys)
        }

        /// The restore asked for, with `list`'s keys, if given.
        private func request(only list: KeyList?) -> RestoreRequest {
            var request = RestoreRequest(from: from, to: to)
            request.prefixes = prefixes
            request.keys = list
            request.asOf = asOf
            request.delete = delete
            request.connection = connection.side("")
            request.encryption = encryption.sse
            request.kmsKeyID = encryption.kmsKeyID
            request.storageClass = storageClass
            request.retrieval = archives.retrieval
            return request
        }

        func execute() async throws {
            // The labels of the backup between the same locations: a restore's source is the backup.
            let publisher = try metrics.publisher(RunMetrics(kind: "restore", source: Side(url: to).url, backup: Side(url: from).url),
                                                  enabled: !dryrun)
            try await publisher.reporting { try await restore(metrics: publisher) }
        }

        private func restore(metrics publisher: MetricsPublisher) async throws {
            let environment = ProcessInfo.processInfo.environment
            let list = try keyList()
            let plans = try request(only: list).runs()
            // A restore by key list is planned first without acting, so every listed key is accounted for.
            var previews: [RestorePreview] = []
            if dryrun || !yes || list != nil {
                // The queue, when there is one already, knows the copies made with another part layout.
                let records = try existingQueue(db)
                let keep = dryrun && json ? KeySample.jsonLimit : KeySample.textLimit
                for parameters in plans {
                    previews.append(try await RestorePreview.plan(parameters, environment: environment, catalog: records,
                                                                  list: list, keep: keep))
                }
            }
            let notInBackup = previews.compactMap(\.listedKeys).filter { !$0.notInBackup.isEmpty }
            if dryrun || !yes {
                var output = StandardOutput()
                if dryrun && json {
                    try output.line(String(decoding: try documentEncoder.encode(previews), as: UTF8.self))
                } else {
                    try output.line(previews.map(\.text).joined(separator: "\n"))
                }
                try output.flush()
                if dryrun {
                    if !notInBackup.isEmpty { throw ExitCode(ExitStatus.partial.rawValue) }
                    return
                }
                guard isatty(STDIN_FILENO) == 1 else {
                    throw ValidationError("a restore writes into \(to); pass --yes to confirm (there is no terminal to ask)")
                }
                print("Restore into \(to)? [y/N] ", terminator: "")
                guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                    print("nothing restored")
                    return
                }
            }
            var options = BackupRunner.Options()
            options.workers = workers
            options.concurrency = concurrency
            options.leaseSeconds = leaseSeconds
            options.logDirectory = logDir ?? RunLog.defaultDirectory(environment: environment)
            options.logRetentionDays = 0 // the nightly run owns log retention (--log-retention-days)
            options.waitForRetrievals = !noWait
            options.prices = try prices.prices
            options.countVersions = versions.countVersions
            options.metrics = publisher.progress
            options.metricsInterval = publisher.interval
            let runner = try BackupRunner(queue: try openQueue(db, leaseSeconds: leaseSeconds), launcher: Work.launcher(database: db),
                                          options: options, environment: environment, owner: ProcessIdentity.current,
                                          log: Log.standardError)
            let mailSettings = try mail.settings(environment: environment)
            var reports: [BackupReport] = []
            try await tellingOutcome(of: "restore \(from) → \(to)", mail: mailSettings, runner: { runner }) {
                try await StopSignals.during(request: runner.stop, log: Log.standardError) {
                    for parameters in plans { reports += try await runner.execute(parameters) }
                }
            }
            reports.last.map(publisher.ended(with:))
            let listed = previews.compactMap(\.listedKeys).first
            var mailed = try await publishReports(reports, listedKeys: listed, mail: mailSettings, runner: runner)
            if let listed, !listed.notInBackup.isEmpty, let mailSettings, let last = reports.last {
                mailed = await ReportMailer(settings: mailSettings, log: runner.log).notInBackup(listed, report: last) && mailed
            }
            var worst = reports.map { ExitStatus.of($0, mailed: mailed) }.first { $0 != .success } ?? .success
            // Listed keys the backup lacks make the restore partial, unless it went worse than that.
            if !notInBackup.isEmpty, [.success, .mailFailed, .refused].contains(worst) { worst = .partial }
            if worst != .success { throw ExitCode(worst.rawValue) }
        }

        /// Prints the reports (text, or JSON: the array `run` prints, the last report, this restore's, with the key
        /// list's accounting as `listed_keys`) and mails each; returns whether every mail went out.
        private func publishReports(_ reports: [BackupReport], listedKeys: ListedKeys?, mail settings: SMTPSettings?,
                                    runner: BackupRunner) async throws -> Bool {
            var output = StandardOutput()
            if json {
                let documents = reports.enumerated().map { index, report in
                    RestoreReportDocument(report: report, listedKeys: index == reports.count - 1 ? listedKeys : nil)
                }
                try output.line(String(decoding: try documentEncoder.encode(documents), as: UTF8.self))
            } else {
                try output.line((reports.map(\.text) + (listedKeys?.lines().map { "  " + $0 } ?? [])).joined(separator: "\n"))
            }
            try output.flush()
            return await mailEach(reports, settings: settings, runner: runner)
        }
    }
}

/// A restore's report as JSON: the report's own fields, and the key list's accounting (`listed_keys`) when it has one.
private struct RestoreReportDocument: Encodable {
    let report: BackupReport
    let listedKeys: ListedKeys?

    private enum CodingKeys: String, CodingKey { case listedKeys }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(listedKeys, forKey: .listedKeys)
    }
}
