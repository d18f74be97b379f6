import Foundation

/// A small element tree parsed from an S3 XML document. Elements are found by name, never by position or by
/// the root's name, since moto's documents differ from AWS's in both.
public struct XMLTree: Sendable, Equatable {
    /// The element's local name (namespace prefixes are not used by S3).
    public var name: String
    /// The element's own text, entities decoded (`&quot;` in ETags, `&amp;` in keys), whitespace kept.
    public var text: String
    /// Child elements in document order.
    public var children: [XMLTree]

    /// An element; used by tests and writers.
    public init(name: String, text: String = "", children: [XMLTree] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// The first child called `name`.
    public func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }

    /// Every child called `name`.
    public func children(_ name: String) -> [XMLTree] { children.filter { $0.name == name } }

    /// The text of the first child called `name`.
    public func text(_ name: String) -> String? { child(name)?.text }

    /// The first element called `name` at any depth, this one included.
    public func find(_ name: String) -> XMLTree? {
        if self.name == name { return self }
        for child in children {
            if let found = child.find(name) { return found }
        }
        return nil
    }

    /// The element written back as XML (text of elements with children is dropped: S3's documents have none).
    public var serialized: String {
        let inner = children.isEmpty ? XMLTree.escape(text) : children.map(\.serialized).joined()
        return "<\(name)>\(inner)</\(name)>"
    }

    /// Parses a document; throws `S3Error.invalidResponse` when it is not well-formed XML.
    public static func parse(_ bytes: [UInt8]) throws -> XMLTree {
        do {
            return try bytes.withUnsafeBufferPointer { buffer in
                var reader = XMLReader(buffer)
                return try reader.document()
            }
        } catch let failure as XMLReader.Failure where failure.isLimit {
            throw S3Error(.invalidResponse, "the response is an XML document with \(failure.reason) (at byte "
                + "\(failure.offset) of \(bytes.count)), far past any S3 answer, so it was not read: the endpoint is "
                + "broken, or something between us and it rewrote the answer; check the endpoint and reach it over https")
        } catch let failure as XMLReader.Failure {
            let excerpt = String(decoding: bytes.prefix(200), as: UTF8.self)
            throw S3Error(.invalidResponse, "the response is not valid XML (\(failure.reason) at byte \(failure.offset)): "
                + excerpt.debugDescription)
        }
    }

    /// Whether `text` survives a trip through XML both ways: C0 control characters other than tab and line feed
    /// are not allowed in XML 1.0 even as references (https://www.w3.org/TR/xml/#charsets), and a carriage return
    /// that a server writes unescaped is read back as a line feed (https://www.w3.org/TR/xml/#sec-line-ends).
    public static func roundTrips(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 || $0 == 0x09 || $0 == 0x0A }
    }

    /// Escapes text for an element body: `&`, `<`, `>`, and carriage returns (which XML would turn into `\n`).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\r": out += "&#13;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
