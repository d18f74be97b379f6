import Failures
import Foundation

/// The keys of a `restore --keys-from` file: one key a line, byte for byte (keys are opaque: nothing is trimmed or
/// normalised). What a Windows editor adds is refused rather than guessed at, since a key may really end in a
/// carriage return or begin with U+FEFF: a carriage return before a line break, or a byte-order mark at the start,
/// is an error naming its lines unless the file is declared exact.
public struct KeyList: Sendable, Equatable {
    /// The file the keys came from.
    public let path: String
    /// The keys, each once (compared by bytes: NFC and NFD forms are different keys), in the file's order.
    public let keys: [String]

    /// Lines named in an error before the rest are counted.
    static let linesNamed = 5

    /// Reads the list at `path`; `exact` takes a carriage return at a line's end, and a byte-order mark, as part of
    /// the key.
    public static func read(path: String, exact: Bool) throws -> KeyList {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw KeyListError(path: path, problem: .unreadable((error as NSError).localizedDescription))
        }
        return try KeyList(bytes: Array(data), path: path, exact: exact)
    }

    /// The list in `bytes` (read from `path`): lines split at line feeds, empty lines skipped.
    public init(bytes: [UInt8], path: String, exact: Bool) throws {
        self.path = path
        var keys: [String] = [], seen: Set<[UInt8]> = [], carriageReturns: [Int] = []
        for (index, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            guard !line.isEmpty else { continue }
            if !exact {
                if number == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) {
                    throw KeyListError(path: path, problem: .byteOrderMark)
                }
                if line.last == UInt8(ascii: "\r") {
                    carriageReturns.append(number)
                    continue
                }
            }
            guard let key = String(validating: line, as: UTF8.self) else {
                throw KeyListError(path: path, problem: .notUTF8(line: number))
            }
            if seen.insert(Array(line)).inserted { keys.append(key) }
        }
        if !carriageReturns.isEmpty {
            throw KeyListError(path: path, problem: .carriageReturns(lines: Array(carriageReturns.prefix(KeyList.linesNamed)),
                                                                      more: max(0, carriageReturns.count - KeyList.linesNamed)))
        }
        guard !keys.isEmpty else { throw KeyListError(path: path, problem: .empty) }
        self.keys = keys
    }
}

/// A `--keys-from` file that cannot be taken as a list of keys; says how to fix it.
public struct KeyListError: CategorizedError, Sendable, Equatable, CustomStringConvertible {
    /// A list that cannot be taken as keys is a mistake of the command line (its --keys-from).
    public var category: FailureCategory { .usage }

    /// What is wrong with it.
    public enum Problem: Sendable, Equatable {
        /// It cannot be read.
        case unreadable(String)
        /// Lines end in a carriage return (Windows line ends): these line numbers, and `more` besides.
        case carriageReturns(lines: [Int], more: Int)
        /// It begins with a UTF-8 byte-order mark.
        case byteOrderMark
        /// This line is not UTF-8 (S3 keys are).
        case notUTF8(line: Int)
        /// It lists no key.
        case empty
    }

    /// The file.
    public let path: String
    /// What is wrong.
    public let problem: Problem

    /// One line with what to do.
    public var description: String {
        let file = "--keys-from \(path)"
        switch problem {
        case .unreadable(let reason):
            return "cannot read \(file): \(reason)"
        case .carriageReturns(let lines, let more):
            let named = lines.map(String.init).joined(separator: ", ") + (more > 0 ? " and \(more) more" : "")
            return "\(file): \(lines.count + more == 1 ? "line \(named) ends" : "lines \(named) end") in a carriage return (Windows line ends), "
                + "which would be taken as part of the key; convert the file (dos2unix \(path)), or pass --exact-keys if those "
                + "keys really end in a carriage return"
        case .byteOrderMark:
            return "\(file) begins with a byte-order mark (U+FEFF, written by some Windows editors), which would be taken as "
                + "part of the first key; save the file without one, or pass --exact-keys if that key really begins with U+FEFF"
        case .notUTF8(let line):
            return "\(file): line \(line) is not UTF-8, so it cannot be an S3 key; save the file as UTF-8"
        case .empty:
            return "\(file) lists no key: nothing would be restored; give a file with one key a line"
        }
    }
}
