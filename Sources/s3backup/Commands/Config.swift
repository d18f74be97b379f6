import ArgumentParser
import Foundation
import Queue
import Settings

extension S3Backup {
    /// `s3backup config`: the config file's tools.
    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the config file.",
            subcommands: [Check.self]
        )

        /// `s3backup config check`: validates the file and prints what each command would use.
        struct Check: S3BackupCommand {
            static let configuration = CommandConfiguration(
                abstract: "Validate the config file and print each command's effective settings, secrets masked.",
                discussion: """
                    Reads the file --config names (else S3BACKUP_CONFIG, /etc/s3backup/s3backup.toml, \
                    ~/.config/s3backup/s3backup.toml), layers the S3BACKUP_* environment over it and checks every \
                    command the file sets up: each with its own [command] table, and each to which the file's top \
                    and [mail] (or the environment) give every setting it requires. A file with source, backup and \
                    db at the top sets up run, plan, setup, verify and the queue's commands, not restore, which \
                    needs from and to. For each, it prints every setting with where it came from, and parses them \
                    as the command would. A problem exits 78, as the command itself does with the same file.

                    Example: s3backup config check --config /etc/s3backup/s3backup.toml
                    """ + "\n\n" + ExitStatus.helpText(for: [.success, .usage, .configuration])
            )

            @Option(help: "The config file to check.") var config: String?

            func execute() async throws {
                var problems: [String]
                do { problems = try check() } catch let error as ConfigError { problems = [error.description] }
                guard problems.isEmpty else {
                    problems.forEach(StandardError.say)
                    throw ExitCode(ExitStatus.configuration.rawValue)
                }
            }

            /// Prints the effective settings of each command the file sets up; returns the problems found.
            private func check() throws -> [String] {
                let environment = ProcessInfo.processInfo.environment
                guard let path = ConfigLocation.path(explicit: config, environment: environment) else {
                    throw ConfigError("no config file: none given with --config or S3BACKUP_CONFIG, and neither "
                        + "/etc/s3backup/s3backup.toml nor ~/.config/s3backup/s3backup.toml exists")
                }
                let (document, worldReadable) = try ConfigLocation.read(path)
                let resolver = SettingsResolver(schema: ConfigFile.schema)
                var problems = resolver.problems(in: document).map(\.description)
                guard problems.isEmpty else { return problems }
                var warnings: [String] = []
                for command in try resolver.configuredCommands(in: document, environment: environment) {
                    let settings = try resolver.resolve(command: command, arguments: [command], environment: environment,
                                                        file: document, fileIsWorldReadable: worldReadable)
                    print(Self.render(command, settings))
                    warnings += settings.warnings.filter { !warnings.contains($0) }
                    problems += settings.missing.map { resolver.missingMessage($0, command: command, file: document) }
                    guard settings.missing.isEmpty else { continue }
                    if let arguments = resolver.schema.commandLineArguments[command] {
                        // Nothing can stand in for what only the command line gives: the types were checked above.
                        print("# \(command) takes \(arguments.map { "<\($0)>" }.joined(separator: " ")) on its command "
                            + "line: its settings were checked by type only\n")
                        continue
                    }
                    do { _ = try S3Backup.parseAsRoot(settings.arguments) } catch {
                        problems.append(S3Backup.describe(parseError: error, settings: settings)
                            ?? "\(command): \(S3Backup.message(for: error))")
                    }
                }
                for warning in warnings { StandardError.say("warning: \(warning)") }
                if problems.isEmpty { print("# \(path): no problems") }
                return problems
            }

            /// One command's table as TOML, each line commented with where its value came from.
            static func render(_ command: String, _ settings: EffectiveSettings) -> String {
                let lines = settings.values.compactMap { value -> (String, String)? in
                    guard let shown = value.value else {
                        return value.spec.isRequired ? ("# \(value.spec.name) = …", "required, not set") : nil
                    }
                    // A PostgreSQL queue's location may hold a password as a URI's, a query's or a keyword's.
                    let masked = if value.spec.name == "db", case .string(let text) = shown {
                        ConfigValue.string(QueueLocation(text).description)
                    } else {
                        SecretMask.shown(value.spec.name, shown)
                    }
                    return ("\(value.spec.name) = \(masked.toml)", value.origin.description)
                }
                let width = min(lines.map(\.0.count).max() ?? 0, 60)
                return "[\(command)]\n" + lines.map { setting, origin in
                    setting.padding(toLength: max(width, setting.count), withPad: " ", startingAt: 0) + "  # \(origin)"
                }.joined(separator: "\n") + "\n"
            }
        }
    }
}
