import ArgumentParser
import Backup
import S3

/// What to back up, where, and how the copies are written: the flags `plan` and `run` share.
struct BackupOptions: ParsableArguments {
    @Option(help: "The primary: s3://BUCKET[/PREFIX].") var source: String
    @Option(help: "The backup: s3://BUCKET[/PREFIX] (versioned, in another region).") var backup: String

    @Option(name: .customLong("source-endpoint-url"), help: "Endpoint of the primary, if it differs from --endpoint-url.")
    var sourceEndpointURL: String?
    @Option(name: .customLong("source-profile"), help: "Profile for the primary, if it differs from --profile.")
    var sourceProfile: String?
    @Option(name: .customLong("backup-endpoint-url"), help: "Endpoint of the backup, if it differs from --endpoint-url.")
    var backupEndpointURL: String?
    @Option(name: .customLong("backup-profile"), help: "Profile for the backup, if it differs from --profile.")
    var backupProfile: String?

    @Option(help: "Storage class of the copies.") var storageClass = "STANDARD_IA"
    @OptionGroup var encryption: EncryptionOptions
    @Option(help: "Most deletes a run may make in the backup: a count (500) or a share of the backup (10%).")
    var maxDelete = DeleteCap.default.description
    @Option(help: "Most deletes the runs of the last --delete-window-days may make together: a count or a share of the backup.")
    var maxDeleteWindow = DeleteWindow.default.cap.description
    @Option(help: "The days --max-delete-window counts over (0: no cap over several nights).")
    var deleteWindowDays = DeleteWindow.default.days

    @Flag(help: "Back up into a bucket without versioning (an overwrite or a delete there loses the only copy).")
    var allowUnversioned = false

    @Flag(help: "Retrieve archived objects of the primary (GLACIER, DEEP_ARCHIVE, Intelligent-Tiering archive tiers) that the backup lacks, and copy them; without it they are named and the run is partial (exit 2).")
    var restoreArchived = false
    @OptionGroup var archives: ArchiveOptions

    @Option(help: "Above this many objects in the primary, split the key space by prefix and list it in parallel.")
    var splitAbove = 10_000

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        for url in [source, backup] {
            do { _ = try S3URL(url) } catch { throw ValidationError("\(error)") }
        }
        guard splitAbove >= 0 else { throw ValidationError("--split-above must be 0 or more") }
        guard DeleteCap(maxDelete) != nil else {
            throw ValidationError("--max-delete \(maxDelete.debugDescription) must be a count (500) or a percentage (10%)")
        }
        guard DeleteCap(maxDeleteWindow) != nil else {
            throw ValidationError("--max-delete-window \(maxDeleteWindow.debugDescription) must be a count (2000) or a percentage (20%)")
        }
        guard (0...366).contains(deleteWindowDays) else { throw ValidationError("--delete-window-days must be 0 to 366") }
    }

    /// The run's parameters.
    var parameters: RunParameters {
        var parameters = RunParameters(
            source: Side(url: source, endpointURL: sourceEndpointURL ?? connection.endpointURL,
                         profile: sourceProfile ?? connection.profile, region: connection.region),
            backup: Side(url: backup, endpointURL: backupEndpointURL ?? connection.endpointURL,
                         profile: backupProfile ?? connection.profile, region: connection.region))
        parameters.storageClass = storageClass
        encryption.apply(to: &parameters)
        parameters.maxDelete = DeleteCap(maxDelete) ?? .default
        if deleteWindowDays > 0 {
            parameters.deleteWindow = DeleteWindow(days: deleteWindowDays, cap: DeleteCap(maxDeleteWindow) ?? DeleteWindow.default.cap)
        }
        parameters.splitThreshold = splitAbove
        parameters.retrieval = restoreArchived ? archives.retrieval : nil
        return parameters
    }
}
