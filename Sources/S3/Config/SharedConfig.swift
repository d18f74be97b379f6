import Foundation

/// The AWS CLI's shared files, ~/.aws/credentials and ~/.aws/config: INI with `#`/`;` comments and indented
/// sub-sections (`s3 =` followed by `  addressing_style = path`).
/// https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html
public struct SharedConfig: Sendable {
    /// The credentials file this was loaded from; nil when parsed from text.
    public let credentialsFilePath: String?
    /// The config file this was loaded from; nil when parsed from text.
    public let configFilePath: String?

    /// Credentials-file sections by profile name (the section name as written).
    private let credentialsProfiles: [String: INISection]
    /// Config-file `[default]` and `[profile NAME]` sections by profile name.
    private let configProfiles: [String: INISection]
    /// Config-file `[services NAME]` sections by NAME.
    private let services: [String: INISection]

    /// Loads both files as the AWS CLI finds them: AWS_SHARED_CREDENTIALS_FILE (default $HOME/.aws/credentials), AWS_CONFIG_FILE (default $HOME/.aws/config). Missing files are empty, not errors; an unreadable or malformed file is an S3Error(.configuration) naming the file and line.
    public static func load(environment: [String: String]) throws -> SharedConfig {
        let credentialsPath = path(environment["AWS_SHARED_CREDENTIALS_FILE"], default: ".aws/credentials",
                                   environment: environment)
        let configPath = path(environment["AWS_CONFIG_FILE"], default: ".aws/config", environment: environment)
        return try SharedConfig(credentialsText: read(credentialsPath), configText: read(configPath),
                                credentialsPath: credentialsPath, configPath: configPath)
    }

    /// Parses from text (tests). Malformed text is a mistake in the test itself, so it stops the program.
    public init(credentialsText: String, configText: String) {
        do {
            try self.init(credentialsText: credentialsText, configText: configText, credentialsPath: nil, configPath: nil)
        } catch {
            preconditionFailure("malformed shared config text: \(error)")
        }
    }

    /// Parses from text; `credentialsPath` and `configPath` name the files in error messages. Throws
    /// S3Error(.configuration) naming the file and line of the first malformed line.
    public init(credentialsText: String, configText: String, credentialsPath: String?, configPath: String?) throws {
        credentialsFilePath = credentialsPath
        configFilePath = configPath
        credentialsProfiles = Dictionary(
            try INIParser.parse(credentialsText, file: credentialsPath ?? "the credentials file"),
            uniquingKeysWith: { first, _ in first })
        var profiles: [String: INISection] = [:]
        var services: [String: INISection] = [:]
        // Config sections: `[default]`, `[profile NAME]`, `[services NAME]`; any other section is not a profile
        // (botocore's `build_profile_map`).
        for (name, section) in try INIParser.parse(configText, file: configPath ?? "the config file") {
            if name == "default" {
                profiles["default", default: INISection()].merge(section)
            } else if let profile = SharedConfig.qualifiedName(name, prefix: "profile") {
                profiles[profile, default: INISection()].merge(section)
            } else if let service = SharedConfig.qualifiedName(name, prefix: "services") {
                services[service, default: INISection()].merge(section)
            }
        }
        configProfiles = profiles
        self.services = services
    }

    /// The settings of a profile: credentials-file values win over config-file values (`[default]` / `[profile NAME]` in config, `[NAME]` in credentials). nil when the profile exists in neither file.
    public func profile(_ name: String) -> [String: String]? {
        let fromConfig = configProfiles[name]
        let fromCredentials = credentialsProfiles[name]
        guard fromConfig != nil || fromCredentials != nil else { return nil }
        return (fromConfig?.values ?? [:]).merging(fromCredentials?.values ?? [:]) { _, credentials in credentials }
    }

    /// A nested sub-section of a profile, e.g. settings(profile:"default", section:"s3") → ["addressing_style": "path"].
    public func subsection(profile: String, section: String) -> [String: String] {
        let key = section.lowercased()
        let fromConfig = configProfiles[profile]?.subsections[key] ?? [:]
        let fromCredentials = credentialsProfiles[profile]?.subsections[key] ?? [:]
        return fromConfig.merging(fromCredentials) { _, credentials in credentials }
    }

    /// `[services NAME]` section's settings for one service (e.g. "s3" → ["endpoint_url": ...]), resolved through the profile's `services = NAME` key.
    /// https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
    public func serviceSettings(profile: String, service: String) -> [String: String] {
        guard let name = self.profile(profile)?["services"], let section = services[name] else { return [:] }
        return section.subsections[service.lowercased()] ?? [:]
    }

    /// "CREDENTIALS-PATH or CONFIG-PATH", for messages about a profile.
    var filesDescription: String {
        "\(credentialsFilePath ?? "the credentials file") or \(configFilePath ?? "the config file")"
    }

    /// `NAME` from `prefix NAME` (whitespace between, optional double quotes around NAME); nil otherwise.
    /// The endpoint configured for `service` (`s3`, `sts`) and where it was set, in the SDKs' order:
    /// AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's `[services]` section, the profile's
    /// `endpoint_url`; nil when none is, or when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's
    /// `ignore_configured_endpoint_urls`) is true. https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
    public func configuredEndpoint(service: String, profile: String,
                                   environment: [String: String]) -> (url: String, setting: String)? {
        let settings = self.profile(profile) ?? [:]
        let ignore = environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"].flatMap { $0.isEmpty ? nil : $0 }
            ?? settings["ignore_configured_endpoint_urls"]
        guard ignore?.lowercased() != "true" else { return nil }
        let variable = "AWS_ENDPOINT_URL_\(service.uppercased())"
        let candidates: [(String?, String)] = [
            (environment[variable], variable),
            (environment["AWS_ENDPOINT_URL"], "AWS_ENDPOINT_URL"),
            (serviceSettings(profile: profile, service: service)["endpoint_url"],
             "endpoint_url of \(service) in [services \(settings["services"] ?? "")]"),
            (settings["endpoint_url"], "endpoint_url of profile \(profile)"),
        ]
        for case let (url?, setting) in candidates where !url.isEmpty { return (url, setting) }
        return nil
    }

    private static func qualifiedName(_ section: String, prefix: String) -> String? {
        guard section.hasPrefix(prefix), let separator = section.dropFirst(prefix.count).first,
              separator == " " || separator == "\t" else { return nil }
        var name = section.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") { name = String(name.dropFirst().dropLast()) }
        return name.isEmpty ? nil : name
    }

    /// A path from the environment (a leading `~/` means $HOME), or $HOME/`relative`.
    private static func path(_ configured: String?, default relative: String, environment: [String: String]) -> String {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.path
        guard let configured, !configured.isEmpty else { return "\(home)/\(relative)" }
        if configured == "~" { return home }
        if configured.hasPrefix("~/") { return home + configured.dropFirst() }
        return configured
    }

    /// The file's text; "" when it does not exist.
    private static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) { return "" }
            throw S3Error(.configuration, "cannot read \(path)\(isDirectory.boolValue ? ": it is a directory" : ""); "
                + "check its permissions or point AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE elsewhere")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw S3Error(.configuration, "\(path) is not UTF-8 text")
        }
        return text
    }
}

/// The profile in use: explicit name (--profile), else AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default".
public func resolveProfileName(_ explicit: String?, environment: [String: String]) -> String {
    for candidate in [explicit, environment["AWS_PROFILE"], environment["AWS_DEFAULT_PROFILE"]] {
        if let candidate, !candidate.isEmpty { return candidate }
    }
    return "default"
}

/// One INI section: flat `key = value` settings and nested sub-sections (`s3 =` followed by indented lines).
struct INISection: Sendable, Equatable {
    /// Flat settings; keys lowercased.
    var values: [String: String] = [:]
    /// Sub-sections by lowercased key.
    var subsections: [String: [String: String]] = [:]

    /// Adds `other`'s settings, which win (a section written twice in one file).
    mutating func merge(_ other: INISection) {
        values.merge(other.values) { _, new in new }
        subsections.merge(other.subsections) { old, new in old.merging(new) { _, newValue in newValue } }
    }
}

/// The INI dialect of the AWS shared files, after botocore's `raw_config_parse` (Python's configparser plus
/// `_parse_nested`): `[section]` headers, `key = value` lines, whole-line `#`/`;` comments, `#`/`;` comments after
/// whitespace at the end of a value, and lines indented under a key: a sub-section when the key's value is
/// empty, a continuation of the value otherwise.
enum INIParser {
    /// Sections by name (trimmed, case kept) in order of first appearance, a repeated section merged into the
    /// first; throws S3Error(.configuration) naming `file` and the line.
    static func parse(_ text: String, file: String) throws -> [(name: String, section: INISection)] {
        var sections: [String: INISection] = [:]
        var order: [String] = []
        var section: String?
        var key: (name: String, indent: Int)?
        var lineNumber = 0

        func malformed(_ why: String) -> S3Error {
            S3Error(.configuration, "\(file) line \(lineNumber): \(why); fix the line or remove it")
        }

        // "\r\n" is one Character in Swift, so it must be named as a separator of its own.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        for line in lines {
            lineNumber += 1
            let indent = line.prefix { $0 == " " || $0 == "\t" }.count
            let content = line.trimmingCharacters(in: .whitespaces)
            if content.isEmpty || content.hasPrefix("#") || content.hasPrefix(";") { continue }

            if let current = section, let (name, keyIndent) = key, indent > keyIndent {
                if let value = sections[current]?.values[name] {
                    if value.isEmpty {
                        // The first nested line turns `name =` into a sub-section.
                        sections[current]?.values[name] = nil
                        sections[current]?.subsections[name] = [:]
                    } else {
                        sections[current]?.values[name] = value + "\n" + stripComment(content)
                        continue
                    }
                }
                guard let (nestedKey, nestedValue) = split(content) else {
                    throw malformed("expected `key = value` inside the `\(name)` sub-section")
                }
                sections[current]?.subsections[name]?[nestedKey] = nestedValue
                continue
            }

            if content.hasPrefix("[") {
                guard let close = content.firstIndex(of: "]") else { throw malformed("a section header lacks its `]`") }
                let rest = content[content.index(after: close)...].trimmingCharacters(in: .whitespaces)
                guard rest.isEmpty || rest.hasPrefix("#") || rest.hasPrefix(";") else {
                    throw malformed("unexpected text after the section header")
                }
                let name = content[content.index(after: content.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty else { throw malformed("the section name is empty") }
                section = name
                if sections[name] == nil {
                    sections[name] = INISection()
                    order.append(name)
                }
                key = nil
                continue
            }

            guard let current = section else { throw malformed("a setting appears before any [section] header") }
            guard let (name, value) = split(content) else {
                throw malformed("expected `key = value`, a [section] header or a comment")
            }
            sections[current]?.subsections[name] = nil
            sections[current]?.values[name] = value
            key = (name, indent)
        }
        return order.map { ($0, sections[$0]!) }
    }

    /// `key = value` with the key lowercased and the value trimmed, its trailing comment removed.
    private static func split(_ content: String) -> (String, String)? {
        guard let equals = content.firstIndex(of: "=") else { return nil }
        let name = content[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
        guard !name.isEmpty else { return nil }
        return (name, stripComment(String(content[content.index(after: equals)...])))
    }

    /// Cuts a `#` or `;` comment that follows whitespace (secrets are base64 and never contain either), then trims.
    private static func stripComment(_ value: String) -> String {
        var previousIsSpace = true
        var end = value.endIndex
        for index in value.indices {
            let character = value[index]
            if (character == "#" || character == ";") && previousIsSpace {
                end = index
                break
            }
            previousIsSpace = character == " " || character == "\t"
        }
        return value[..<end].trimmingCharacters(in: .whitespaces)
    }
}
