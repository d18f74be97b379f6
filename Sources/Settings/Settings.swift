import Foundation

/// One setting a command accepts, as its command line describes it.
public struct SettingSpec: Sendable, Equatable {
    /// How the setting is written on the command line.
    public enum Kind: Sendable, Equatable {
        /// A switch without value (`--json`): `true` or `false` in a file.
        case flag
        /// An option with one value (`--db PATH`).
        case option
        /// An option that may repeat (`--mail-to A --mail-to B`): an array in a file.
        case repeatingOption
    }

    /// The long name without dashes: the key in a file.
    public let name: String
    /// Every spelling on the command line, with dashes (`--db`, `-d`).
    public let spellings: [String]
    /// How it is written.
    public let kind: Kind
    /// Whether the command cannot run without it.
    public let isRequired: Bool
    /// The value used when nothing sets it, as the command line would write it.
    public let defaultValue: String?

    /// A setting with the given spellings (the long `--name` when none are given).
    public init(name: String, spellings: [String] = [], kind: Kind, isRequired: Bool = false, defaultValue: String? = nil) {
        self.name = name
        self.spellings = spellings.isEmpty ? ["--\(name)"] : spellings
        self.kind = kind
        self.isRequired = isRequired
        self.defaultValue = defaultValue
    }

    /// The environment variable that sets it: `S3BACKUP_` and the name in capitals with `_` for `-`.
    public var environmentVariable: String {
        "S3BACKUP_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// Whether `arguments` set it.
    func isSet(in arguments: [String]) -> Bool {
        arguments.contains { argument in
            spellings.contains { argument == $0 || argument.hasPrefix($0 + "=") }
        }
    }
}

/// The settings of each command, and the rules a file and the environment follow.
public struct SettingsSchema: Sendable {
    /// Each command's settings, by command name.
    public let commands: [String: [SettingSpec]]
    /// Tables whose settings apply to every command that has them (besides the root table), e.g. `mail`.
    public let sharedTables: Set<String>
    /// Settings that only the command line may give (confirmations a person must type).
    public let commandLineOnly: Set<String>
    /// Secrets a file may hold although no flag takes them, by key.
    public let secrets: [String: FileSecret]
    /// The required arguments each command takes only from its command line, by command: `ls`'s `location`. A file
    /// cannot give them, so a file alone never makes such a command whole.
    public let commandLineArguments: [String: [String]]

    /// A schema for the given commands and rules.
    public init(commands: [String: [SettingSpec]], sharedTables: Set<String> = [], commandLineOnly: Set<String> = [],
                secrets: [String: FileSecret] = [:], commandLineArguments: [String: [String]] = [:]) {
        self.commands = commands
        self.sharedTables = sharedTables
        self.commandLineOnly = commandLineOnly
        self.secrets = secrets
        self.commandLineArguments = commandLineArguments
    }
}

/// A secret a file may hold although no flag takes it (a password on a command line shows in `ps`).
public struct FileSecret: Sendable {
    /// The environment variable that carries it into the program; the environment wins over the file.
    public let variable: String
    /// The setting whose commands use it: `smtp-url` for the SMTP password.
    public let usedWith: String

    /// A secret carried by `variable` to the commands that have the setting `usedWith`.
    public init(variable: String, usedWith: String) {
        self.variable = variable
        self.usedWith = usedWith
    }
}

/// Where a setting's value came from.
public enum SettingOrigin: Sendable, Equatable, CustomStringConvertible {
    /// Typed on the command line.
    case commandLine
    /// From this environment variable.
    case environment(String)
    /// From this line of the config file.
    case file(path: String, line: Int)
    /// Nothing set it: the command's default.
    case defaultValue

    /// Where to look, as a person would say it.
    public var description: String {
        switch self {
        case .commandLine: "the command line"
        case .environment(let variable): variable
        case .file(let path, let line): "\(path) line \(line)"
        case .defaultValue: "default"
        }
    }
}

/// One command's settings after the command line, the environment and the file are layered.
public struct EffectiveSettings: Sendable {
    /// One setting's value and where it came from.
    public struct Value: Sendable, Equatable {
        /// The setting.
        public let spec: SettingSpec
        /// Its value; nil when nothing sets it and it has no default.
        public let value: ConfigValue?
        /// Where the value came from.
        public let origin: SettingOrigin
    }

    /// The command line to parse: what was typed, then what the environment and the file add.
    public let arguments: [String]
    /// Every setting of the command, in the command's order, then the file's secrets.
    public let values: [Value]
    /// Environment variables to set for the program (secrets from the file that the environment lacks).
    public let exports: [String: String]
    /// Things a person should fix that do not stop the command.
    public let warnings: [String]
    /// Required settings nothing set.
    public let missing: [SettingSpec]

    /// Where a setting named in a message came from, when that was not the command line: for a parser's error
    /// about `--workers`, "s3backup.toml line 12".
    public func origin(ofSettingIn message: String) -> SettingOrigin? {
        values.first { value in
            switch value.origin {
            case .file, .environment:
                value.spec.spellings.contains { spelling in
                    message.ranges(of: spelling).contains { range in
                        range.upperBound == message.endIndex || !Self.isNameCharacter(message[range.upperBound])
                    }
                }
            case .commandLine, .defaultValue: false
            }
        }?.origin
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "-")
    }
}

/// Layers the settings of one command: the command line wins over the environment, which wins over the file.
public struct SettingsResolver: Sendable {
    /// What the commands accept.
    public let schema: SettingsSchema

    /// A resolver for `schema`.
    public init(schema: SettingsSchema) { self.schema = schema }

    /// Every problem in `file`: unknown tables and keys, values of the wrong type, settings only the command line
    /// may give. Empty when the file is good.
    public func problems(in file: ConfigDocument) -> [ConfigError] {
        var problems: [ConfigError] = []
        let known = Set(schema.commands.values.joined().map(\.name))
        for table in file.tables {
            let commandSettings = schema.commands[table.name]
            if !table.name.isEmpty, commandSettings == nil, !schema.sharedTables.contains(table.name) {
                let tables = (schema.commands.keys.sorted() + schema.sharedTables.sorted()).map { "[\($0)]" }
                problems.append(ConfigError("\(file.path) line \(table.line): unknown table [\(table.name)]; "
                    + "tables are \(tables.joined(separator: ", "))"))
                continue
            }
            for entry in table.entries {
                let here = "\(file.path) line \(entry.line)"
                if schema.secrets[entry.key] != nil {
                    if case .string = entry.value { continue }
                    problems.append(ConfigError("\(here): `\(entry.key)` is a string, e.g. \(entry.key) = \"…\""))
                } else if schema.commandLineOnly.contains(entry.key) {
                    problems.append(ConfigError("\(here): `\(entry.key)` must be given on the command line, where "
                        + "it is seen"))
                } else if let commandSettings, let spec = commandSettings.first(where: { $0.name == entry.key }) {
                    if let problem = typeProblem(entry, spec) { problems.append(ConfigError("\(here): \(problem)")) }
                } else if commandSettings == nil, known.contains(entry.key) {
                    let specs = schema.commands.values.joined().filter { $0.name == entry.key }
                    if let problem = specs.lazy.compactMap({ typeProblem(entry, $0) }).first {
                        problems.append(ConfigError("\(here): \(problem)"))
                    }
                } else {
                    let scope = table.name.isEmpty ? "any command" : "[\(table.name)]"
                    let near = Self.nearest(entry.key, in: commandSettings.map { $0.map(\.name) } ?? Array(known))
                    problems.append(ConfigError("\(here): unknown setting `\(entry.key)` for \(scope)"
                        + (near.map { "; did you mean `\($0)`?" } ?? "")))
                }
            }
        }
        return problems
    }

    /// Layers `command`'s settings. `arguments` is the command line from the command's name on; `file`, when
    /// given, must have no `problems`, or the first one is thrown.
    public func resolve(command: String, arguments: [String], environment: [String: String],
                        file: ConfigDocument?, fileIsWorldReadable: Bool = false) throws -> EffectiveSettings {
        if let file, let problem = problems(in: file).first { throw problem }
        let specs = schema.commands[command] ?? []
        var added: [String] = []
        var values: [EffectiveSettings.Value] = []
        for spec in specs {
            let (value, origin) = try layer(spec, command: command, arguments: arguments, environment: environment, file: file)
            if origin != .commandLine, origin != .defaultValue, let value { added += Self.arguments(spec, value) }
            values.append(.init(spec: spec, value: value, origin: origin))
        }
        var exports: [String: String] = [:]
        var warnings: [String] = []
        if let file {
            for (name, secret) in schema.secrets.sorted(by: { $0.key < $1.key })
            where specs.contains(where: { $0.name == secret.usedWith }) {
                let variable = secret.variable
                guard let entry = entries(named: name, for: command, in: file).first,
                      case .string(let text) = entry.value else { continue }
                if environment[variable] == nil { exports[variable] = text }
                values.append(.init(spec: SettingSpec(name: name, kind: .option), value: entry.value,
                                    origin: environment[variable] == nil ? .file(path: file.path, line: entry.line)
                                                                         : .environment(variable)))
                if fileIsWorldReadable {
                    warnings.append("\(file.path) holds `\(name)` (line \(entry.line)) and every user can read it: "
                        + "chmod o-r \(file.path)")
                }
            }
        }
        let missing = values.filter { $0.spec.isRequired && $0.value == nil }.map(\.spec)
        var layered = arguments
        layered.insert(contentsOf: added, at: arguments.firstIndex(of: "--") ?? arguments.endIndex)
        return EffectiveSettings(arguments: layered, values: values, exports: exports, warnings: warnings,
                                 missing: missing)
    }

    /// The commands `file` sets up, sorted: each that has its own `[command]` table, and each to which the file or
    /// the environment gives at least one setting and every required one (with no argument left that only the
    /// command line gives). A file with `source` and `backup` at the top sets up `run` and `verify`, not `restore`
    /// (which needs `from` and `to`), even if `db` at the top is one of restore's settings. `file` must have no
    /// `problems`, or the first one is thrown.
    public func configuredCommands(in file: ConfigDocument, environment: [String: String]) throws -> [String] {
        let tables = Set(file.tables.map(\.name))
        return try schema.commands.keys.sorted().filter { command in
            if tables.contains(command) { return true }
            guard schema.commandLineArguments[command]?.isEmpty ?? true else { return false }
            let settings = try resolve(command: command, arguments: [command], environment: environment, file: file)
            return settings.missing.isEmpty && settings.values.contains { value in
                switch value.origin {
                case .file, .environment: true
                case .commandLine, .defaultValue: false
                }
            }
        }
    }

    /// A sentence for a required setting nothing set, naming the three places it can come from.
    public func missingMessage(_ spec: SettingSpec, command: String, file: ConfigDocument?) -> String {
        "\(command) needs --\(spec.name): pass it, set \(spec.environmentVariable), or write "
            + "`\(spec.name) = \"…\"` under [\(command)] in "
            + (file?.path ?? "the config file (--config FILE)")
    }

    // MARK: - Layers

    private func layer(_ spec: SettingSpec, command: String, arguments: [String], environment: [String: String],
                       file: ConfigDocument?) throws -> (ConfigValue?, SettingOrigin) {
        if spec.isSet(in: arguments) { return (Self.typed(arguments, spec), .commandLine) }
        if let text = environment[spec.environmentVariable], !schema.commandLineOnly.contains(spec.name) {
            return (try Self.environmentValue(text, spec), .environment(spec.environmentVariable))
        }
        if let file, let entry = entries(named: spec.name, for: command, in: file).first {
            return (entry.value, .file(path: file.path, line: entry.line))
        }
        return (spec.defaultValue.map { Int($0).map(ConfigValue.integer) ?? .string($0) }, .defaultValue)
    }

    /// The file's entries for `name` that apply to `command`: its own table first, then shared tables and the root.
    private func entries(named name: String, for command: String, in file: ConfigDocument) -> [ConfigEntry] {
        let order = [command] + schema.sharedTables.sorted() + [""]
        return order.flatMap { table in
            file.tables.first { $0.name == table }?.entries.filter { $0.key == name } ?? []
        }
    }

    private func typeProblem(_ entry: ConfigEntry, _ spec: SettingSpec) -> String? {
        let example = spec.defaultValue.map { Int($0) != nil ? $0 : ConfigValue.string($0).toml } ?? "\"…\""
        switch (spec.kind, entry.value) {
        case (.flag, .boolean), (.option, .string), (.option, .integer), (.repeatingOption, .string),
             (.repeatingOption, .integer):
            return nil
        case (.repeatingOption, .array(let items)) where items.allSatisfy(\.isScalarText):
            return nil
        case (.repeatingOption, _):
            return "`\(entry.key)` takes text or an array of text, e.g. \(entry.key) = [\"a\", \"b\"]"
        case (.flag, _):
            return "`\(entry.key)` is a switch: write \(entry.key) = true or \(entry.key) = false"
        case (.option, .array):
            return "`\(entry.key)` takes one value, e.g. \(entry.key) = \(example)"
        case (.option, _):
            return "`\(entry.key)` takes a value, not true or false, e.g. \(entry.key) = \(example)"
        }
    }

    private static func environmentValue(_ text: String, _ spec: SettingSpec) throws -> ConfigValue {
        switch spec.kind {
        case .option: return .string(text)
        case .repeatingOption:
            return .array(text.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
        case .flag:
            switch text.lowercased() {
            case "1", "true", "yes": return .boolean(true)
            case "", "0", "false", "no": return .boolean(false)
            default:
                throw ConfigError("\(spec.environmentVariable)=\(text): a switch is true or false (or 1 or 0)")
            }
        }
    }

    /// What the command line gives a setting, for display.
    private static func typed(_ arguments: [String], _ spec: SettingSpec) -> ConfigValue {
        guard spec.kind != .flag else { return .boolean(true) }
        var found: [ConfigValue] = []
        for (index, argument) in arguments.enumerated() {
            for spelling in spec.spellings {
                if argument == spelling, index + 1 < arguments.count { found.append(.string(arguments[index + 1])) }
                if argument.hasPrefix(spelling + "=") { found.append(.string(String(argument.dropFirst(spelling.count + 1)))) }
            }
        }
        return spec.kind == .repeatingOption ? .array(found) : found.last ?? .string("")
    }

    /// The command-line words for a value from the environment or a file.
    private static func arguments(_ spec: SettingSpec, _ value: ConfigValue) -> [String] {
        let flag = "--\(spec.name)"
        switch value {
        case .boolean(let on): return on ? [flag] : []
        case .string, .integer: return [flag, value.text]
        case .array(let items): return items.flatMap { [flag, $0.text] }
        }
    }

    /// The known name closest to a misspelt one (at most two edits away).
    static func nearest(_ name: String, in names: [String]) -> String? {
        names.map { ($0, editDistance(name, $0)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension ConfigValue {
    /// A string or integer: what one command-line word can hold.
    var isScalarText: Bool {
        switch self {
        case .string, .integer: true
        case .boolean, .array: false
        }
    }

    /// The value as one command-line word (strings unquoted).
    var text: String {
        switch self {
        case .string(let text): text
        default: toml
        }
    }
}
