/// A reader for the XML that S3 and STS answer with, one pass over the bytes: elements (namespace prefixes
/// dropped, attributes skipped), text with the five predefined entities and character references decoded,
/// CDATA, comments and processing instructions. Line ends are normalised to `\n` as XML requires
/// (https://www.w3.org/TR/xml/#sec-line-ends). A document type declaration is refused: S3 never sends one, and
/// entities it could define are not expanded. Anything not well-formed is an error with its byte offset, and so
/// is a document past the reader's limits, which no S3 answer comes near: elements are read recursively, and a
/// 200,000-deep document would overflow the stack.
struct XMLReader {
    /// Why a document was refused, and where.
    struct Failure: Error {
        let reason: String
        let offset: Int
        /// Whether the document was refused for a limit rather than for its syntax.
        var isLimit = false
    }

    /// The deepest nesting read. S3's deepest documents are 6 deep (a lifecycle rule's
    /// `LifecycleConfiguration/Rule/Filter/And/Tag/Key`); listings are 4 deep.
    static let maxDepth = 64
    /// The most elements read. The largest S3 answers are a ListParts page of 10,000 parts (10 elements a part with
    /// every checksum: about 100,000) and a ListObjectVersions page (16 elements a version: about 16,000).
    static let maxElements = 500_000

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var elements = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The root element; only markup and whitespace may surround it.
    mutating func document() throws -> XMLTree {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        try skipMisc()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "<") else { throw failure("no root element") }
        let root = try element(depth: 1)
        try skipMisc()
        guard position == bytes.count else { throw failure("content after the root element") }
        return root
    }

    /// Whitespace, comments and processing instructions between top-level parts.
    private mutating func skipMisc() throws {
        while position < bytes.count {
            if isSpace(bytes[position]) {
                position += 1
            } else if at("<?") {
                try skip(past: "?>")
            } else if at("<!--") {
                try skip(past: "-->")
            } else if at("<!DOCTYPE") {
                throw failure("a document type declaration is not accepted")
            } else {
                return
            }
        }
    }

    /// An element `depth` deep (the root is 1), `position` at its `<`.
    private mutating func element(depth: Int) throws -> XMLTree {
        guard depth <= Self.maxDepth else {
            throw Failure(reason: "elements nested deeper than \(Self.maxDepth)", offset: position, isLimit: true)
        }
        elements += 1
        guard elements <= Self.maxElements else {
            throw Failure(reason: "more than \(Self.maxElements) elements", offset: position, isLimit: true)
        }
        position += 1
        let qualifiedName = try name()
        var tree = XMLTree(name: localName(qualifiedName))
        // Attributes are skipped; only their quoting matters, since a quoted value may hold `>` or `/`.
        while true {
            guard position < bytes.count else { throw failure("unterminated start tag <\(qualifiedName)>") }
            let byte = bytes[position]
            if byte == UInt8(ascii: ">") {
                position += 1
                break
            }
            if at("/>") {
                position += 2
                return tree
            }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                position += 1
                guard let close = index(of: byte, from: position) else { throw failure("unterminated attribute value") }
                position = close + 1
            } else {
                position += 1
            }
        }
        var text: [UInt8] = []
        while true {
            guard let open = index(of: UInt8(ascii: "<"), from: position) else {
                throw failure("<\(qualifiedName)> is never closed")
            }
            try appendText(bytes[position..<open], to: &text)
            position = open
            if at("</") {
                position += 2
                let closing = try name()
                guard closing == qualifiedName else { throw failure("</\(closing)> closes <\(qualifiedName)>") }
                while position < bytes.count, isSpace(bytes[position]) { position += 1 }
                guard position < bytes.count, bytes[position] == UInt8(ascii: ">") else {
                    throw failure("unterminated end tag </\(closing)>")
                }
                position += 1
                tree.text = String(decoding: text, as: UTF8.self)
                return tree
            } else if at("<![CDATA[") {
                position += 9
                let start = position
                try skip(past: "]]>")
                appendNormalised(bytes[start..<(position - 3)], to: &text)
            } else if at("<!--") {
                try skip(past: "-->")
            } else if at("<?") {
                try skip(past: "?>")
            } else {
                tree.children.append(try element(depth: depth + 1))
            }
        }
    }

    /// A name, up to whitespace, `/`, `>` or `=`.
    private mutating func name() throws -> String {
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if isSpace(byte) || byte == UInt8(ascii: "/") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "=") { break }
            guard byte != UInt8(ascii: "<") && byte != UInt8(ascii: "&") else { throw failure("a name holds \"<\" or \"&\"") }
            position += 1
        }
        guard position > start else { throw failure("an element without a name") }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private func localName(_ qualified: String) -> String {
        guard let colon = qualified.utf8.lastIndex(of: UInt8(ascii: ":")) else { return qualified }
        return String(qualified[qualified.utf8.index(after: colon)...])
    }

    /// Character data with its references decoded.
    private func appendText(_ slice: Slice<UnsafeBufferPointer<UInt8>>, to text: inout [UInt8]) throws {
        var index = slice.startIndex
        while index < slice.endIndex {
            guard let ampersand = slice[index...].firstIndex(of: UInt8(ascii: "&")) else {
                appendNormalised(slice[index...], to: &text)
                return
            }
            appendNormalised(slice[index..<ampersand], to: &text)
            guard let semicolon = slice[ampersand...].firstIndex(of: UInt8(ascii: ";")) else {
                throw Failure(reason: "an unterminated entity reference", offset: ampersand)
            }
            let entity = slice[(ampersand + 1)..<semicolon]
            switch String(decoding: entity, as: UTF8.self) {
            case "amp": text.append(UInt8(ascii: "&"))
            case "lt": text.append(UInt8(ascii: "<"))
            case "gt": text.append(UInt8(ascii: ">"))
            case "quot": text.append(UInt8(ascii: "\""))
            case "apos": text.append(UInt8(ascii: "'"))
            case let reference where reference.hasPrefix("#"):
                guard let scalar = Self.character(reference.dropFirst()) else {
                    throw Failure(reason: "the character reference &\(reference); is not an XML character", offset: ampersand)
                }
                text.append(contentsOf: String(Character(scalar)).utf8)
            case let other:
                throw Failure(reason: "the entity &\(other); is not defined", offset: ampersand)
            }
            index = semicolon + 1
        }
    }

    /// `#10` or `#x0A` (the `#` dropped) as a character XML 1.1 allows a reference to: anything but NUL, lone
    /// surrogates and U+FFFE/U+FFFF. XML 1.0 has no control characters, but a key may hold them and S3 (and Ceph's
    /// RGW even with `encoding-type=url`) writes them as `&#x1;`. https://www.w3.org/TR/xml11/#charsets
    private static func character(_ reference: Substring) -> Unicode.Scalar? {
        let value = reference.hasPrefix("x") ? UInt32(reference.dropFirst(), radix: 16) : UInt32(reference, radix: 10)
        guard let value, value != 0, value != 0xFFFE, value != 0xFFFF else { return nil }
        return Unicode.Scalar(value)
    }

    /// Appends `slice` with `\r\n` and lone `\r` made `\n`.
    private func appendNormalised(_ slice: Slice<UnsafeBufferPointer<UInt8>>, to text: inout [UInt8]) {
        guard slice.contains(0x0D) else {
            text.append(contentsOf: slice)
            return
        }
        var index = slice.startIndex
        while index < slice.endIndex {
            let byte = slice[index]
            if byte == 0x0D {
                text.append(0x0A)
                if index + 1 < slice.endIndex, slice[index + 1] == 0x0A { index += 1 }
            } else {
                text.append(byte)
            }
            index += 1
        }
    }

    private func at(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[position + offset] != literal.utf8Start[offset] { return false }
        return true
    }

    private mutating func skip(past literal: StaticString) throws {
        while position < bytes.count {
            if at(literal) {
                position += literal.utf8CodeUnitCount
                return
            }
            position += 1
        }
        throw failure("unterminated markup (no \"\(literal)\")")
    }

    private func index(of byte: UInt8, from start: Int) -> Int? {
        bytes[start...].firstIndex(of: byte)
    }

    private func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    private func failure(_ reason: String) -> Failure { Failure(reason: reason, offset: position) }
}
