import SigV4

/// An object's entity tag, compared as S3 defines it rather than as the text a provider happened to send.
///
/// HTTP makes an ETag an opaque value between double quotes (https://www.rfc-editor.org/rfc/rfc9110#name-etag);
/// S3 sends it quoted in headers and, in XML, quoted or entity-encoded (`&quot;`), and other S3 implementations
/// send some answers unquoted (Ceph's CopyObject result, for one). An MD5-shaped value is hex, in which case does
/// not matter. So an `ETag` keeps only the opaque value, hex lower-cased, and two ETags are equal when their
/// values are: `"9cfd…"`, `9cfd…` and `&quot;9CFD…&quot;` are one ETag.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html#AmazonS3-Type-Object-ETag
public struct ETag: Hashable, Sendable, CustomStringConvertible {
    /// The opaque value, without quotes.
    public let value: String

    /// The ETag that `text` spells, however it is quoted; an empty or blank text is the empty ETag. Read as bytes:
    /// an ETag is ASCII (https://www.rfc-editor.org/rfc/rfc9110#name-etag), and this runs for every object listed,
    /// where Character-level tests (case, hex digits) cost the planner a third of its CPU.
    public init(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        var start = 0, end = utf8.count
        while start < end, utf8[start] == ETag.space || utf8[start] == ETag.tab { start += 1 }
        while end > start, utf8[end - 1] == ETag.space || utf8[end - 1] == ETag.tab { end -= 1 }
        if end - start >= 2, utf8[start] == UInt8(ascii: "W"), utf8[start + 1] == UInt8(ascii: "/") { start += 2 }
        for quote in ETag.quotes where end - start >= 2 * quote.count
            && utf8[start..<start + quote.count].elementsEqual(quote) && utf8[end - quote.count..<end].elementsEqual(quote) {
            start += quote.count
            end -= quote.count
            break
        }
        let value = utf8[start..<end]
        if ETag.isHexWithPartCount(value), value.contains(where: ETag.isUpperHexLetter) {
            self.value = String(decoding: value.map { ETag.isUpperHexLetter($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
        } else {
            self.value = String(decoding: value, as: UTF8.self)
        }
    }

    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
    /// The quotes S3 and other implementations put around the value: HTTP's, and XML's spellings of it.
    private static let quotes = ["\"", "&quot;", "&#34;", "&#x22;"].map { Array($0.utf8) }

    /// The ETag S3 gives a single-part upload of `bytes` without SSE-KMS or SSE-C: their MD5 in hex.
    public init(md5Of bytes: [UInt8]) {
        value = Digest.md5(bytes).hex
    }

    /// No ETag: the answer had none.
    public static let none = ETag("")

    /// Whether the answer had no ETag.
    public var isEmpty: Bool { value.isEmpty }

    /// The value between double quotes, as a header (`If-Match`, `x-amz-copy-source-if-match`) and
    /// CompleteMultipartUpload want it.
    public var quoted: String { "\"\(value)\"" }

    /// The quoted form.
    public var description: String { quoted }

    /// N of a multipart upload's ETag (`…-N`); nil for any other.
    public var parts: Int? {
        guard let dash = value.utf8.lastIndex(of: UInt8(ascii: "-")) else { return nil }
        return Int(value[value.index(after: dash)...]).flatMap { $0 > 0 ? $0 : nil }
    }

    /// Whether this is a multipart upload's ETag (`…-N`).
    public var isMultipart: Bool { parts != nil }

    /// Whether the value is ASCII hex, optionally followed by `-N`: the shapes S3 gives, in which case carries no
    /// meaning.
    private static func isHexWithPartCount(_ value: ArraySlice<UInt8>) -> Bool {
        let dash = value.firstIndex(of: UInt8(ascii: "-")) ?? value.endIndex
        guard dash > value.startIndex, value[..<dash].allSatisfy({ isHexDigit($0) || isUpperHexLetter($0) }) else { return false }
        return dash == value.endIndex || Int(String(decoding: value[(dash + 1)...], as: UTF8.self)) != nil
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) }
    private static func isUpperHexLetter(_ byte: UInt8) -> Bool { (0x41...0x46).contains(byte) }
}

extension ETag: Codable {
    /// Decodes the quoted (or any) form.
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the quoted form, as queues written before this type stored it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(quoted)
    }
}
