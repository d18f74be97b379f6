/// The check every request's headers pass before the request is signed and before libcurl sends it. libcurl
/// writes a header line verbatim, so a CR LF inside a value (say metadata copied from a source object that a man in
/// the middle or a broken provider answered with) would end that header and start another: header injection.
/// A name must be a token and a value must hold no control character but tab.
/// https://www.rfc-editor.org/rfc/rfc9110#name-field-names, https://www.rfc-editor.org/rfc/rfc9110#name-field-values
enum HeaderCheck {
    /// Throws an error naming the first header in `headers` that cannot go on the wire; the value is never quoted
    /// (it may be a token or a secret), only the offending byte and where it is.
    static func validate(_ headers: [(String, String)]) throws {
        for (name, value) in headers {
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
                throw refusal("the header name \(UntrustedText.quoted(name)) is not an HTTP token (letters, digits "
                    + "and !#$%&'*+-.^_`|~ only)")
            }
            if let offset = value.utf8.firstIndex(where: isControlByte) {
                let position = value.utf8.distance(from: value.utf8.startIndex, to: offset)
                let byte = value.utf8[offset]
                throw refusal("the value of the header \(name) holds the control character 0x"
                    + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true) + " at byte \(position)")
            }
        }
    }

    /// tchar: https://www.rfc-editor.org/rfc/rfc9110#name-tokens
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// C0 controls but horizontal tab (which a field value may hold), and DEL. Bytes from 0x80 (UTF-8, obs-text)
    /// are left alone: S3 stores such metadata and they cannot end a line.
    private static func isControlByte(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != 0x09) || byte == 0x7F
    }

    private static func refusal(_ what: String) -> S3Error {
        S3Error(.invalidResponse, "\(what), which HTTP cannot carry, so the request was not sent: where the header "
            + "is an object's metadata (Content-Type, Content-Disposition, x-amz-meta-*…), correct that object's "
            + "metadata (a copy of it onto itself that replaces the metadata does); where it is a token an endpoint "
            + "answered, that endpoint is broken or something between us and it rewrote the answer")
    }
}
