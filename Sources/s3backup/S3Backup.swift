import ArgumentParser

/// The `s3backup` command: back an S3 bucket up to another region and restore it.
@main
struct S3Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3backup",
        abstract: "Back up an S3 bucket to a versioned bucket in another region, and restore from it.",
        discussion: ExitStatus.helpText,
        version: "0.1.0",
        subcommands: [Run.self, Plan.self, Work.self, Report.self, List.self, Status.self, Failed.self, Retry.self, Prune.self]
    )
}
