import ArgumentParser
import Backup
import Failures
import Foundation
import Settings

/// The `s3backup` command: back an S3 bucket up to another region and restore it.
@main
struct S3Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3backup",
        abstract: "Back up an S3 bucket to a versioned bucket in another region, and restore from it.",
        discussion: ExitStatus.helpText,
        version: Version.text,
        subcommands: [Run.self, Plan.self, Work.self, Report.self, HistoryCommand.self, Setup.self, Restore.self, Verify.self, List.self, Status.self, Failed.self, Retry.self, Cancel.self, Prune.self, Config.self]
    )

    /// Layers the environment and the config file under the command line, then runs the command as
    /// ArgumentParser would; a parse error about a setting that came from the file or the environment names
    /// where it came from.
    static func main() async {
        ProcessHardening.apply(warn: StandardError.say)
        // The queue, its WAL, logs and reports name buckets and keys: only this user may read them (files 0600,
        // folders 0700), whatever the caller's umask.
        umask(0o077)
        let layered: (arguments: [String], settings: EffectiveSettings?)
        do {
            layered = try ConfigFile.apply(to: Array(CommandLine.arguments.dropFirst()),
                                           environment: ProcessInfo.processInfo.environment)
        } catch let error as ConfigError {
            fail("\(error)", status: ExitStatus.of(error).rawValue)
        } catch {
            exit(withError: error)
        }
        // A value the file or the environment gave that the parser refuses was named by `ConfigFile.apply` already.
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(layered.arguments)
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    /// A parse error about a setting the file or the environment gave, prefixed with where it came from;
    /// nil for other errors.
    static func describe(parseError: any Error, settings: EffectiveSettings) -> String? {
        let message = message(for: parseError)
        return settings.origin(ofSettingIn: message).map { "\($0): \(message)" }
    }

    private static func fail(_ message: String, status: Int32) -> Never {
        StandardError.say(message)
        Foundation.exit(status)
    }
}
