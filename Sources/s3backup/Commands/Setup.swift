import ArgumentParser
import Backup
import Foundation
import S3

extension S3Backup {
    /// `s3backup setup`: versioning and lifecycle on both buckets, checked.
    struct Setup: S3BackupCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enable versioning on both buckets, apply the lifecycle policy, and report any drift.",
            discussion: "Example: s3backup setup --source s3://primary --backup s3://backup --check\n\n" + "Idempotent. The policy's rules are merged with a bucket's other rules (matched by ID) unless "
                + "--replace. With --check nothing is changed. Exits 1 when drift remains (warnings do not count).\n\n"
                + ConfigFile.helpText(for: "setup") + "\n\n"
                + ExitStatus.helpText(for: ExitStatus.everyCommand + ExitStatus.reachingS3)
        )

        @Option(help: "The primary: s3://BUCKET.") var source: String
        @Option(help: "The backup: s3://BUCKET.") var backup: String
        @Option(help: "A lifecycle policy in the AWS CLI's JSON form (default: the built-in one, ops/lifecycle-policy.json).")
        var lifecycle: String?
        @Option(help: "Which buckets get the lifecycle policy: backup or both.") var lifecycleOn = "backup"
        @Option(help: ArgumentHelp("Lock every copy in the backup with S3 Object Lock in this mode: governance or compliance "
            + "(with --retention-days). Enables Object Lock on the backup and records the policy in its tags.", valueName: "mode"))
        var objectLock: String?
        @Option(help: ArgumentHelp("Days every current backup version stays locked ahead (with --object-lock).", valueName: "days"))
        var retentionDays: Int?
        @Flag(help: "Only report drift; change nothing.") var check = false
        @Flag(help: "Replace a bucket's lifecycle rules with the policy's instead of merging.") var replace = false
        @Flag(help: "Print the drift as JSON.") var json = false
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            for url in [source, backup] {
                do { _ = try S3URL(url) } catch { throw ValidationError("\(error)") }
            }
            guard ["backup", "both"].contains(lifecycleOn) else { throw ValidationError("--lifecycle-on must be backup or both") }
            _ = try lock
        }

        /// The Object Lock policy asked for: both options or neither.
        var lock: LockPolicy? {
            get throws {
                switch (objectLock, retentionDays) {
                case (nil, nil): return nil
                case (let mode?, let days?):
                    guard let mode = ObjectLockMode(name: mode) else { throw ValidationError("--object-lock must be governance or compliance") }
                    guard LockPolicy.dayRange.contains(days) else { throw ValidationError("--retention-days must be 1 to 36500") }
                    return LockPolicy(mode: mode, days: days)
                default: throw ValidationError("--object-lock and --retention-days go together")
                }
            }
        }

        func execute() async throws {
            let data: Data
            if let lifecycle {
                do { data = try Data(contentsOf: URL(fileURLWithPath: lifecycle)) } catch {
                    throw ValidationError("cannot read --lifecycle \(lifecycle): \(error.localizedDescription)")
                }
            } else {
                data = Data(DefaultPolicy.json.utf8)
            }
            let rules = try LifecycleRule.policy(data, source: lifecycle ?? "the built-in policy")
            let client = try connection.makeClient()
            let setups = [
                BucketSetup(client: client, bucket: try S3URL(source).bucket, rules: lifecycleOn == "both" ? rules : []),
                BucketSetup(client: client, bucket: try S3URL(backup).bucket, rules: rules, isBackup: true, lock: try lock),
            ]
            if !check { for setup in setups { try await setup.apply(replace: replace) } }
            var drift: [Drift] = []
            for setup in setups { drift += try await setup.check() }
            var output = StandardOutput()
            if json {
                try output.line(String(decoding: try documentEncoder.encode(["drift": drift]), as: UTF8.self))
            } else {
                let failing = drift.filter { !$0.warning }
                try output.line(failing.isEmpty ? "no drift: versioning on both buckets, lifecycle policy in place"
                    + (try lock.map { ", Object Lock \($0)" } ?? "") : failing.map { "drift: \($0)" }.joined(separator: "\n"))
                for warning in drift where warning.warning { try output.line("warning: \(warning)") }
            }
            try output.flush()
            if drift.contains(where: { !$0.warning }) { throw ExitCode(ExitStatus.failure.rawValue) }
        }
    }
}
