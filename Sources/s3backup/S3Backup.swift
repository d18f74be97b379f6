import ArgumentParser
import Foundation

/// The `s3backup` command: back an S3 bucket up to another region and restore it.
@main
struct S3Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3backup",
        abstract: "Back up an S3 bucket to a versioned bucket in another region, and restore from it.",
        discussion: ExitStatus.helpText,
        version: Version.text,
        subcommands: [Run.self, Plan.self, Work.self, Report.self, Setup.self, Restore.self, Verify.self, List.self, Status.self, Failed.self, Retry.self, Prune.self]
    )

    /// Applies the config file (if any) to the command line, then runs the command as ArgumentParser would.
    static func main() async {
        let arguments: [String]
        do {
            arguments = try ConfigFile.apply(to: Array(CommandLine.arguments.dropFirst()),
                                             environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("s3backup: \(error)\n".utf8))
            Foundation.exit(ExitStatus.configuration.rawValue)
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
