import ArgumentParser
import Foundation
import Settings

/// Wires the settings layers to the command line: a setting typed on the command line wins over the environment
/// (`S3BACKUP_DB`, …), which wins over the config file (TOML: a `[command]` table per command, `[mail]` and the
/// root table for settings several commands share). The commands' settings are read off the parser's own
/// description of the command line, so every flag can be set, and nothing else.
enum ConfigFile {
    /// Words that ask for help, a version or completions: the settings are not applied to them.
    private static let informational: Set<String> = [
        "-h", "--help", "help", "--version", "--experimental-dump-help", "--generate-completion-script",
    ]

    /// The command line with `--config` removed, and what the environment and the file add for its command.
    /// Warnings go to standard error; secrets the file holds are exported to the environment it lacks them in.
    static func apply(to arguments: [String], environment: [String: String]) throws
        -> (arguments: [String], settings: EffectiveSettings?) {
        var arguments = arguments
        let explicit = try extractConfigPath(from: &arguments)
        guard let index = arguments.firstIndex(where: { !$0.hasPrefix("-") }),
              !arguments.contains(where: informational.contains) else {
            return (arguments, nil)
        }
        if arguments[index] == "config" { return (explicit.map { arguments + ["--config", $0] } ?? arguments, nil) }
        let command = arguments[index]
        let file = try ConfigLocation.path(explicit: explicit, environment: environment).map(ConfigLocation.read)
        // Without a file there is nothing to check against every command: the one command's settings will do.
        let resolver = SettingsResolver(schema: file == nil ? schema(of: command) : schema)
        let settings = try resolver.resolve(command: command, arguments: Array(arguments[index...]),
                                            environment: environment, file: file?.document,
                                            fileIsWorldReadable: file?.worldReadable ?? false)
        for warning in settings.warnings { StandardError.say("warning: \(warning)") }
        if let missing = settings.missing.first {
            let message = resolver.missingMessage(missing, command: command, file: file?.document)
            // The file set this command up and left a required setting out: `config check` says so too (78). Without
            // the command's table, the command line was short of it, as it would be without any file (64).
            if file?.document.tables.contains(where: { $0.name == command }) ?? false { throw ConfigError(message) }
            throw ValidationError(message)
        }
        for (variable, value) in settings.exports { setenv(variable, value, 1) }
        let layered = Array(arguments[..<index]) + settings.arguments
        if let refusal = refusal(of: layered, settings: settings) { throw ConfigError(refusal) }
        return (layered, settings)
    }

    /// Why the parser refuses `arguments` because of a value the file or the environment gave, prefixed with where
    /// it came from (`s3backup.toml line 3: The value 'ten' is invalid for '--limit <limit>'`); nil when it accepts
    /// them, or refuses them for what the command line holds. Such a value is a configuration error, 78, wherever
    /// it shows: here, before the command runs, and in `config check`; typed on the command line it is a usage
    /// error, 64, as ArgumentParser has it.
    static func refusal(of arguments: [String], settings: EffectiveSettings) -> String? {
        do {
            _ = try S3Backup.parseAsRoot(arguments)
            return nil
        } catch {
            return S3Backup.describe(parseError: error, settings: settings)
        }
    }

    /// The `--help` paragraph of a command that reads the config file: where its settings can come from besides
    /// the command line. `--config` is not one of the command's options: it is read (and removed) before the
    /// command line is parsed, like the environment, and names where every option's value may come from.
    static func helpText(for command: String) -> String {
        "Settings: every option can also be set in the environment (S3BACKUP_ and its name in capitals, - as _: "
            + "S3BACKUP_DB for --db) or in the config file, by its name without dashes, under [\(command)] or at the "
            + "top. The file is --config FILE, else $S3BACKUP_CONFIG, else /etc/s3backup/s3backup.toml or "
            + "~/.config/s3backup/s3backup.toml. The command line wins over the environment, which wins over the "
            + "file; s3backup config check shows what each command gets."
    }

    /// Removes `--config PATH` or `--config=PATH` and returns the path.
    static func extractConfigPath(from arguments: inout [String]) throws -> String? {
        if let index = arguments.firstIndex(where: { $0.hasPrefix("--config=") }) {
            defer { arguments.remove(at: index) }
            return String(arguments[index].dropFirst("--config=".count))
        }
        guard let index = arguments.firstIndex(of: "--config") else { return nil }
        guard index + 1 < arguments.count else { throw ValidationError("--config needs a file") }
        defer { arguments.removeSubrange(index...(index + 1)) }
        return arguments[index + 1]
    }

    /// Every command's settings, read off the parser's description of the command line (`--experimental-dump-help`).
    static let schema = settingsSchema(describing: []) ?? {
        preconditionFailure("the parser did not describe the command line")
    }()

    /// `command`'s settings alone: describing one command costs a fraction of describing all of them, and every
    /// process of a run starts here. An unknown command gets the whole schema (the parser then names the mistake).
    static func schema(of command: String) -> SettingsSchema {
        settingsSchema(describing: [command]) ?? schema
    }

    /// The settings of the commands under `path` (all of them for `[]`); nil when the parser gave no description.
    private static func settingsSchema(describing path: [String]) -> SettingsSchema? {
        var commands: [String: [SettingSpec]] = [:]
        var commandLineArguments: [String: [String]] = [:]
        func collect(_ command: ToolInfo.Command) {
            guard command.commandName != S3Backup.Config.configuration.commandName else { return }
            let arguments = command.arguments ?? []
            let settings = arguments.compactMap(\.setting)
            if !settings.isEmpty { commands[command.commandName] = settings }
            let positionals = arguments.compactMap(\.requiredPositional)
            if !positionals.isEmpty { commandLineArguments[command.commandName] = positionals }
            command.subcommands?.forEach(collect)
        }
        do {
            _ = try S3Backup.parseAsRoot(path + ["--experimental-dump-help"])
            return nil
        } catch {
            let json = Data(S3Backup.fullMessage(for: error).utf8)
            guard let info = try? JSONDecoder().decode(ToolInfo.self, from: json) else { return nil }
            collect(info.command)
        }
        return SettingsSchema(commands: commands, sharedTables: ["mail", "prices"], commandLineOnly: ["yes", "delete"],
                              secrets: ["smtp-password": FileSecret(variable: "S3BACKUP_SMTP_PASSWORD", usedWith: "smtp-url")],
                              commandLineArguments: commandLineArguments)
    }
}

/// The part of ArgumentParser's `--experimental-dump-help` document (ToolInfoV0) that names settings.
private struct ToolInfo: Decodable {
    struct Command: Decodable {
        let commandName: String
        let arguments: [Argument]?
        let subcommands: [Command]?
    }

    struct Argument: Decodable {
        struct Name: Decodable {
            let kind: String
            let name: String

            var spelling: String { kind == "long" ? "--\(name)" : "-\(name)" }
        }

        let kind: String
        let names: [Name]?
        let isOptional: Bool
        let isRepeating: Bool
        let defaultValue: String?
        let valueName: String?
        let shouldDisplay: Bool?

        /// The name of this argument when it is positional and required (`location`), which only the command line
        /// gives; nil otherwise.
        var requiredPositional: String? {
            guard kind == "positional", !isOptional, defaultValue == nil else { return nil }
            return valueName ?? "argument"
        }

        /// The setting this argument is, unless it is positional, help, or hidden (one process telling another,
        /// like `work --parent-pid`, not a setting a person chooses).
        var setting: SettingSpec? {
            guard let names, let long = names.first(where: { $0.kind == "long" })?.name,
                  !["help", "version"].contains(long), kind != "positional", shouldDisplay != false else { return nil }
            let kind: SettingSpec.Kind = self.kind == "flag" ? .flag : isRepeating ? .repeatingOption : .option
            return SettingSpec(name: long, spellings: names.map(\.spelling), kind: kind,
                               isRequired: !isOptional && defaultValue == nil && kind != .flag,
                               defaultValue: defaultValue)
        }
    }

    let command: Command
}
