/// Text that came from the other end (a continuation token, a header name, a region) as it is shown in a message:
/// quoted, every byte outside printable ASCII (and `%`) written as `%NN` (the logs' own escaping keeps `\x` for
/// itself), and cut short, so a hostile answer can neither
/// write control characters into a log or a terminal nor flood either.
enum UntrustedText {
    /// `text` quoted and escaped, at most `limit` of its bytes shown.
    static func quoted(_ text: String, limit: Int = 80) -> String {
        precondition(limit > 0, "show at least one byte")
        let bytes = Array(text.utf8)
        var out = "\""
        for byte in bytes.prefix(limit) {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x20...0x7E where byte != UInt8(ascii: "%"): out.unicodeScalars.append(Unicode.Scalar(byte))
            default: out += "%" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        out += "\""
        if bytes.count > limit { out += "… (\(bytes.count) bytes)" }
        return out
    }
}
