import Failures
import Foundation

/// A config file read as TOML (https://toml.io/en/v1.0.0), the part of it a settings file needs: `[table]`
/// headers, `key = value` lines with bare or quoted keys, basic and literal strings, integers, booleans and
/// one-line arrays of those, `#` comments. Anything else TOML allows (dotted keys, inline tables, multi-line
/// strings, floats, dates) is refused with its line, so every file this accepts means the same to any TOML reader.
/// Raw control characters are refused too (TOML allows none but tab): a tab only as space or in a comment.
public struct ConfigDocument: Sendable {
    /// The file the text came from, for messages.
    public let path: String
    /// The root table (`""`) and each `[table]`, in file order.
    public let tables: [ConfigTable]

    /// Reads `text`; a line TOML or this subset does not accept is a `ConfigError` naming it.
    public init(text: String, path: String) throws {
        self.path = path
        var tables = [ConfigTable(name: "", line: 0, entries: [])]
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = index + 1
            if let control = raw.unicodeScalars.first(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) {
                throw ConfigError("\(path) line \(line): holds the control character \(Self.codePoint(control)), which TOML "
                    + "does not allow raw; remove it, or write it as the escape \(Self.tomlEscape(control)) in a \"basic string\"")
            }
            var scanner = LineScanner(raw, path: path, line: line)
            scanner.skipSpace()
            if scanner.atEndOfContent { continue }
            if scanner.peek == "[" {
                let name = try scanner.tableHeader()
                if let earlier = tables.first(where: { $0.name == name }) {
                    throw scanner.error("[\(name)] appears twice (first on line \(earlier.line)); merge the two")
                }
                tables.append(ConfigTable(name: name, line: line, entries: []))
                continue
            }
            let key = try scanner.key()
            scanner.skipSpace()
            if scanner.peek == "." {
                throw scanner.error("dotted keys are not settings s3backup reads: put `\(key)` in a [table] of its own")
            }
            try scanner.expect("=", "after the key `\(key)`: write `\(key) = value`")
            scanner.skipSpace()
            let value = try scanner.value(for: key)
            scanner.skipSpace()
            guard scanner.atEndOfContent else {
                throw scanner.error("unexpected `\(scanner.rest)` after the value of `\(key)`")
            }
            if let earlier = tables[tables.count - 1].entries.first(where: { $0.key == key }) {
                throw scanner.error("`\(key)` is set twice (first on line \(earlier.line)); for several values "
                    + "write an array: \(key) = [\"a\", \"b\"]")
            }
            tables[tables.count - 1].entries.append(ConfigEntry(key: key, value: value, line: line))
        }
        self.tables = tables
    }

    /// `U+001B`: a control character named in a message (which shows no raw control, and no `\x` that the
    /// terminal's escaping would have to escape again).
    private static func codePoint(_ control: Unicode.Scalar) -> String { "U+" + hex4(control) }

    /// `\u001B`: how a TOML basic string writes it.
    private static func tomlEscape(_ control: Unicode.Scalar) -> String { "\\u" + hex4(control) }

    private static func hex4(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}

/// One `[table]` of a config file: its settings in file order.
public struct ConfigTable: Sendable {
    /// The table's name; `""` for the settings above the first header.
    public let name: String
    /// The header's line (0 for the root table).
    public let line: Int
    /// The table's settings in file order.
    public var entries: [ConfigEntry]
}

/// One `key = value` line.
public struct ConfigEntry: Sendable, Equatable {
    /// The key, unquoted.
    public let key: String
    /// The value.
    public let value: ConfigValue
    /// The 1-based line it is on.
    public let line: Int
}

/// A value of the TOML subset.
public enum ConfigValue: Sendable, Equatable {
    /// A basic (`"…"`) or literal (`'…'`) string.
    case string(String)
    /// A decimal integer.
    case integer(Int)
    /// `true` or `false`.
    case boolean(Bool)
    /// A one-line array of the other kinds.
    case array([ConfigValue])

    /// The value as TOML writes it.
    public var toml: String {
        switch self {
        case .string(let text): "\"" + text.flatMap(Self.escaped).joined() + "\""
        case .integer(let number): String(number)
        case .boolean(let flag): String(flag)
        case .array(let items): "[" + items.map(\.toml).joined(separator: ", ") + "]"
        }
    }

    private static func escaped(_ character: Character) -> [String] {
        switch character {
        case "\"": ["\\\""]
        case "\\": ["\\\\"]
        case "\n": ["\\n"]
        case "\t": ["\\t"]
        case "\r": ["\\r"]
        default:
            character.unicodeScalars.map { scalar in
                guard scalar.value < 0x20 || scalar.value == 0x7F else { return String(scalar) }
                let hex = String(scalar.value, radix: 16, uppercase: true)
                return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
    }
}

/// A config file that cannot be used, with what to change.
public struct ConfigError: CategorizedError, CustomStringConvertible, Equatable {
    /// A config file that cannot be used is configuration.
    public var category: FailureCategory { .configuration }
    /// The whole message, starting with the file and line where there is one.
    public let description: String
    /// Wraps a message.
    public init(_ description: String) { self.description = description }
}

/// Reads one line of the subset, left to right.
private struct LineScanner {
    private let text: Substring
    private var index: Substring.Index
    private let path: String
    private let line: Int

    init(_ text: Substring, path: String, line: Int) {
        self.text = text
        self.index = text.startIndex
        self.path = path
        self.line = line
    }

    var peek: Character? { index < text.endIndex ? text[index] : nil }
    var rest: Substring { text[index...] }
    /// At the end of the line or at a comment.
    var atEndOfContent: Bool { peek == nil || peek == "#" }

    func error(_ message: String) -> ConfigError { ConfigError("\(path) line \(line): \(message)") }

    mutating func skipSpace() {
        while let character = peek, character == " " || character == "\t" { index = text.index(after: index) }
    }

    mutating func expect(_ character: Character, _ hint: String) throws {
        guard peek == character else { throw error("expected `\(character)` \(hint)") }
        index = text.index(after: index)
    }

    mutating func tableHeader() throws -> String {
        try expect("[", "")
        if peek == "[" { throw error("arrays of tables (`[[…]]`) are not settings s3backup reads") }
        skipSpace()
        let name = try key()
        skipSpace()
        if peek == "." { throw error("nested tables are not settings s3backup reads: use [\(name)]") }
        try expect("]", "to close the table header [\(name)]")
        skipSpace()
        guard atEndOfContent else { throw error("unexpected `\(rest)` after [\(name)]") }
        return name
    }

    mutating func key() throws -> String {
        let key: String
        switch peek {
        case "\"": key = try basicString()
        case "'": key = try literalString()
        default:
            let start = index
            while let character = peek, character.isASCII, character.isLetter || character.isNumber || character == "-"
                || character == "_" {
                index = text.index(after: index)
            }
            key = String(text[start..<index])
            guard !key.isEmpty else {
                throw error("expected a setting (`name = value`) or a table header (`[command]`), found `\(rest)`")
            }
        }
        return key
    }

    mutating func value(for key: String) throws -> ConfigValue {
        switch peek {
        case "\"":
            if text[index...].hasPrefix("\"\"\"") { throw error("multi-line strings are not settings s3backup reads") }
            return .string(try basicString())
        case "'":
            if text[index...].hasPrefix("'''") { throw error("multi-line strings are not settings s3backup reads") }
            return .string(try literalString())
        case "[":
            return .array(try array(for: key))
        case "{":
            throw error("inline tables are not settings s3backup reads")
        case nil, "#":
            throw error("`\(key) =` needs a value")
        default:
            let start = index
            while let character = peek, !" \t,]#".contains(character) { index = text.index(after: index) }
            let word = String(text[start..<index])
            if word == "true" { return .boolean(true) }
            if word == "false" { return .boolean(false) }
            if let number = Self.integer(word) { return .integer(number) }
            throw error("`\(key) = \(word)`: a string needs quotes, e.g. \(key) = \"\(word)\"")
        }
    }

    /// TOML's decimal integers: an optional sign, digits with single underscores between them, no leading zero.
    private static func integer(_ word: String) -> Int? {
        var digits = Substring(word)
        if digits.first == "+" || digits.first == "-" { digits = digits.dropFirst() }
        guard let first = digits.first, first.isASCII, first.isNumber, first != "0" || digits.count == 1,
              !digits.hasSuffix("_"), !digits.contains("__"),
              digits.allSatisfy({ $0 == "_" || ($0.isASCII && $0.isNumber) }) else { return nil }
        return Int(word.replacingOccurrences(of: "_", with: ""))
    }

    private mutating func array(for key: String) throws -> [ConfigValue] {
        try expect("[", "")
        var items: [ConfigValue] = []
        while true {
            skipSpace()
            if peek == "]" { break }
            let item = try value(for: key)
            if case .array = item { throw error("arrays of arrays are not settings s3backup reads") }
            items.append(item)
            skipSpace()
            if peek == "," { index = text.index(after: index); continue }
            guard peek == "]" else {
                throw error(peek == nil || peek == "#" ? "the array of `\(key)` must close on its line with `]`"
                                                       : "expected `,` or `]` in the array of `\(key)`")
            }
        }
        index = text.index(after: index)
        return items
    }

    private mutating func literalString() throws -> String {
        try expect("'", "")
        let start = index
        while let character = peek, character != "'" {
            if character == "\t" { throw rawTab() }
            index = text.index(after: index)
        }
        guard peek == "'" else { throw error("the string starting `'\(text[start...])` is not closed with `'`") }
        defer { index = text.index(after: index) }
        return String(text[start..<index])
    }

    /// A basic string with TOML's escapes (https://toml.io/en/v1.0.0#string).
    private mutating func basicString() throws -> String {
        try expect("\"", "")
        var result = ""
        while let character = peek {
            index = text.index(after: index)
            switch character {
            case "\"": return result
            case "\\":
                guard let escape = peek else { break }
                index = text.index(after: index)
                switch escape {
                case "\"": result.append("\"")
                case "\\": result.append("\\")
                case "b": result.append("\u{8}")
                case "t": result.append("\t")
                case "n": result.append("\n")
                case "f": result.append("\u{C}")
                case "r": result.append("\r")
                case "u", "U":
                    let length = escape == "u" ? 4 : 8
                    let hex = rest.prefix(length)
                    guard hex.count == length, let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
                        throw error("`\\\(escape)` needs \(length) hex digits of a Unicode scalar")
                    }
                    index = text.index(index, offsetBy: length)
                    result.unicodeScalars.append(scalar)
                default:
                    throw error("`\\\(escape)` is not a TOML escape; write a backslash as `\\\\` or use 'single quotes'")
                }
            case "\t":
                throw rawTab()
            default:
                result.append(character)
            }
        }
        throw error("a string is not closed with `\"`")
    }

    /// A tab inside a string or a quoted key is invisible in the file: it must be written as an escape.
    private func rawTab() -> ConfigError {
        error("a raw tab inside a string; write it as \\t in a \"basic string\"")
    }
}

/// Where the config file is and how it is read.
public enum ConfigLocation {
    /// The file to read: `explicit` (from `--config`), else S3BACKUP_CONFIG, else the first of
    /// /etc/s3backup/s3backup.toml and ~/.config/s3backup/s3backup.toml that exists; nil when there is none.
    public static func path(explicit: String?, environment: [String: String]) -> String? {
        if let explicit { return explicit }
        if let named = environment["S3BACKUP_CONFIG"], !named.isEmpty { return named }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return ["/etc/s3backup/s3backup.toml", "\(home)/.config/s3backup/s3backup.toml"]
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Reads and parses the file at `path`, and tells whether every user may read it. A file that someone other
    /// than this user or root can change is refused (`TrustedFile`).
    public static func read(_ path: String) throws -> (document: ConfigDocument, worldReadable: Bool) {
        let file = try TrustedFile(path: path, what: "the config file",
                                   hint: "check the path given to --config or S3BACKUP_CONFIG")
        guard let text = String(data: file.data, encoding: .utf8) else {
            throw ConfigError("the config file \(path) is not UTF-8 text")
        }
        return (try ConfigDocument(text: text, path: path), file.readableByOthers)
    }
}
