import ArgumentParser
import Backup
import Foundation
import Queue
import S3

extension S3Backup {
    /// `s3backup restore`: the backup copied back into the primary, on the same queue and workers as a backup.
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the backup back into the primary: all of it, or some prefixes.",
            discussion: "Example: s3backup restore --from s3://backup --to s3://primary --db queue.db --prefix clients/007/ --as-of 2026-11-20T00:00:00Z\n\n" + "Copies what the primary lacks or holds differently; deletes in the primary only with --delete. "
                + "Asks for confirmation on a terminal, and needs --yes otherwise. Resumable like `run`: the same "
                + "command finishes an interrupted restore.\n\n" + ExitStatus.helpText
        )

        @Option(help: "The backup to restore from: s3://BUCKET[/PREFIX].") var from: String
        @Option(help: "The primary to restore into: s3://BUCKET[/PREFIX].") var to: String
        @Option(help: "The queue database.") var db: String
        @Option(name: .customLong("prefix"), help: "Restore only keys under this folder (repeatable; clients/007 is clients/007/).") var prefixes: [String] = []
        @Option(help: "Restore only the keys listed in this file, one per line (relative to the --from and --to prefixes).")
        var keysFrom: String?
        @Option(help: "Restore each key as the backup held it at this moment (ISO 8601, e.g. 2026-11-20T00:00:00Z), from its versions.")
        var asOf: String?
        @Flag(help: "Also delete objects of the primary that the backup lacks (with --as-of: that did not exist then), within the restored prefixes.")
        var delete = false
        @Flag(help: "Do not ask for confirmation.") var yes = false
        @Flag(help: "Print what would change, change nothing.") var dryrun = false
        @Flag(help: "Print the reports as JSON.") var json = false
        @Option(help: "Worker processes.") var workers = BackupRunner.Options().workers
        @Option(help: "Objects transferred at once by each worker.") var concurrency = Worker.Options.defaultConcurrency
        @Option(help: "How long a claimed task stays a worker's without a heartbeat.") var leaseSeconds = 60
        @Option(help: "Directory of the run logs.") var logDir: String?
        @OptionGroup var encryption: EncryptionOptions
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var mail: MailOptions

        func validate() throws {
            for url in [from, to] {
                do { _ = try S3URL(url) } catch { throw ValidationError("\(error)") }
            }
            if keysFrom != nil && !prefixes.isEmpty { throw ValidationError("give --prefix or --keys-from, not both") }
            if let asOf, S3Time.parse(asOf) == nil {
                throw ValidationError("--as-of \(asOf.debugDescription) is not an ISO 8601 moment like 2026-11-20T00:00:00Z")
            }
        }

        /// One restore per prefix: backup/PREFIX → primary/PREFIX.
        private func locations() throws -> [RunParameters] {
            // Folders, so a --prefix lands under them: s3://b/bk with --prefix x/ is s3://b/bk/x/.
            let source = try S3URL(from).folder, target = try S3URL(to).folder
            var keys: [String]?
            if let keysFrom {
                do {
                    // Each line is a key byte for byte (nothing trimmed: a key may end in a space or a carriage return).
                    keys = try String(contentsOfFile: keysFrom, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
                        .map(String.init)
                } catch {
                    throw ValidationError("cannot read --keys-from \(keysFrom): \(error.localizedDescription)")
                }
                if let keys, !keys.isEmpty, keys.allSatisfy({ $0.hasSuffix("\r") }) {
                    throw ValidationError("every line of --keys-from \(keysFrom) ends in a carriage return (Windows line ends); "
                        + "convert it (dos2unix) so the keys match byte for byte")
                }
            }
            return (prefixes.isEmpty ? [""] : prefixes).map { prefix in
                var parameters = RunParameters(
                    source: Side(url: "s3://\(source.bucket)/\(source.prefix + prefix)", endpointURL: connection.endpointURL,
                                 profile: connection.profile, region: connection.region),
                    backup: Side(url: "s3://\(target.bucket)/\(target.prefix + prefix)", endpointURL: connection.endpointURL,
                                 profile: connection.profile, region: connection.region))
                parameters.kind = "restore"
                parameters.storageClass = "STANDARD"
                encryption.apply(to: &parameters)
                parameters.mirrorDeletes = delete
                parameters.maxDelete = .percent(100)
                parameters.asOf = asOf.flatMap(S3Time.parse).map(S3Time.string)
                parameters.onlyKeys = keys
                return parameters
            }
        }

        func run() async throws {
            try await reportingErrors {
                let environment = ProcessInfo.processInfo.environment
                let plans = try locations()
                if dryrun || !yes {
                    var lines: [String] = []
                    // The queue, when there is one already, knows the copies made with another part layout.
                    let records = FileManager.default.fileExists(atPath: db) ? try SQLiteQueue(path: db) : nil
                    for parameters in plans {
                        var planner = try Planner(parameters: parameters, environment: environment)
                        planner.relayouts = records
                        let findings = try await planner.planAll(into: PreviewSink(sampleSize: 0))
                        lines.append("\(parameters.source.url) → \(parameters.backup.url): \(findings.missing) to copy, "
                            + "\(findings.changed) to overwrite, \(findings.same) unchanged, "
                            + (delete ? "\(findings.extra) to delete" : "\(findings.extra) only in the primary (kept)"))
                    }
                    print(lines.joined(separator: "\n"))
                    if dryrun { return }
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
                let runner = try BackupRunner(queue: try openQueue(db, leaseSeconds: leaseSeconds), database: db,
                                              executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
                                              options: options, environment: environment, owner: ProcessIdentity.current,
                                              log: Log.standardError)
                let mailSettings = try mail.settings(environment: environment)
                var reports: [BackupReport] = []
                for parameters in plans { reports += try await runner.execute(parameters) }
                let mailed = try await publish(reports, json: json, mail: mailSettings, runner: runner)
                let worst = reports.map { ExitStatus.of($0.verdict, mailed: mailed) }.first { $0 != .success } ?? .success
                if worst != .success { throw ExitCode(worst.rawValue) }
            }
        }
    }
}
