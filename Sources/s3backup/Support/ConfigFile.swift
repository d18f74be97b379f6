import Foundation

/// Settings from a file, as defaults for flags: `[COMMAND]` sections of `flag-name = value` lines (`#` comments;
/// a repeatable flag may repeat; `true` for a flag without value), plus a `[mail]` section for the commands that
/// mail (`run`, `report`, `restore`, `verify`).
/// A flag given on the command line wins over the file. Secrets do not belong here: the SMTP password comes from
/// S3BACKUP_SMTP_PASSWORD or --smtp-password-file, AWS keys from the usual AWS places.
///
///     [run]
///     source = s3://primary
///     backup = s3://backup
///     db = /var/lib/s3backup/queue.db
///     [mail]
///     mail-to = ops@example.com
///     smtp-url = smtps://smtp.example.com:465
enum ConfigFile {
    /// Where the file is looked for when `--config` is not given: S3BACKUP_CONFIG, /etc/s3backup/s3backup.conf,
    /// ~/.config/s3backup/s3backup.conf (the first that exists).
    static func defaultPath(environment: [String: String]) -> String? {
        if let explicit = environment["S3BACKUP_CONFIG"], !explicit.isEmpty { return explicit }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return ["/etc/s3backup/s3backup.conf", "\(home)/.config/s3backup/s3backup.conf"]
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    /// `arguments` (without the program name) with the file's settings for the command appended where the
    /// command line does not set them; `--config PATH` itself is removed.
    static func apply(to arguments: [String], environment: [String: String]) throws -> [String] {
        var arguments = arguments
        var path = defaultPath(environment: environment)
        if let index = arguments.firstIndex(of: "--config") {
            guard index + 1 < arguments.count else { throw ConfigError("--config needs a file") }
            path = arguments[index + 1]
            arguments.removeSubrange(index...(index + 1))
        }
        guard let path, let command = arguments.first(where: { !$0.hasPrefix("-") }) else { return arguments }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError("cannot read the config file \(path): \(error.localizedDescription)")
        }
        let sections = try parse(text, path: path)
        let wanted = [command] + (["run", "report", "restore", "verify"].contains(command) ? ["mail"] : [])
        var added: [String] = []
        for section in wanted {
            for (name, value) in sections[section] ?? []
            where !arguments.contains(where: { $0 == "--\(name)" || $0.hasPrefix("--\(name)=") }) {
                added += value == "true" ? ["--\(name)"] : ["--\(name)", value]
            }
        }
        return arguments + added
    }

    /// Sections of (name, value) pairs, in file order.
    static func parse(_ text: String, path: String) throws -> [String: [(String, String)]] {
        var sections: [String: [(String, String)]] = [:]
        var current: String?
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                current = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let current, let equals = line.firstIndex(of: "=") else {
                throw ConfigError("\(path) line \(number + 1): expected `[command]` or `name = value` under a section")
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !name.hasPrefix("-") else {
                throw ConfigError("\(path) line \(number + 1): a setting is a flag's name without dashes, e.g. `db = …`")
            }
            guard !["yes", "delete"].contains(name) else {
                throw ConfigError("\(path) line \(number + 1): `\(name)` must be given on the command line, where it is seen")
            }
            guard !name.contains("password") || name.hasSuffix("-file") else {
                throw ConfigError("\(path) line \(number + 1): passwords do not belong in the config file; use "
                    + "S3BACKUP_SMTP_PASSWORD or smtp-password-file")
            }
            sections[current, default: []].append((name, value))
        }
        return sections
    }
}

/// A config file that cannot be used.
struct ConfigError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
