/// Control characters made visible, for logs and terminals: keys are opaque bytes and servers' messages are
/// anyone's text, so either could otherwise break a log line in two or drive a terminal (ESC sequences, CR).
///
/// Every C0 control (U+0000–U+001F) and DEL becomes `\xHH` in lower-case hex (`\x1b` for ESC, `\x0a` for a line
/// feed). A backslash followed by `x` becomes `\x5c`, so every `\x` in the result starts an escape and the text
/// reads back exactly: `\xHH` is the byte HH, any other backslash is itself.
public enum ControlEscaping {
    /// Whether `byte` is escaped: a C0 control or DEL.
    public static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    /// `text` with every control escaped except the bytes in `kept` (line feeds, for text whose lines are its
    /// structure).
    public static func escaped(_ text: String, keeping kept: Set<UInt8> = []) -> String {
        precondition(kept.allSatisfy(isControl), "only controls can be kept: a kept backslash would make escapes ambiguous")
        let backslash = UInt8(ascii: "\\")
        // Most lines (one per object copied) have nothing to escape: return them as they are.
        guard text.utf8.contains(where: { ($0 == backslash || isControl($0)) && !kept.contains($0) }) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 16)
        var rest = text.utf8[...]
        while let byte = rest.popFirst() {
            if kept.contains(byte) {
                bytes.append(byte)
            } else if isControl(byte) || (byte == backslash && rest.first == UInt8(ascii: "x")) {
                bytes.append(contentsOf: hexEscape(byte))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `\xHH` for `byte`.
    private static func hexEscape(_ byte: UInt8) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
    }
}
