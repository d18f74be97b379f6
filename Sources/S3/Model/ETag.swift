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

    /// The ETag that `text` spells, however it is quoted; an empty or blank text is the empty ETag.
    public init(_ text: some StringProtocol) {
        var value = Substring(text).drop { $0 == " " || $0 == "\t" }
        while value.last == " " || value.last == "\t" { value.removeLast() }
        if value.hasPrefix("W/") { value = value.dropFirst(2) }
        for quote in ["\"", "&quot;", "&#34;", "&#x22;"] where value.hasPrefix(quote) && value.hasSuffix(quote)
            && value.count >= 2 * quote.count {
            value = value.dropFirst(quote.count).dropLast(quote.count)
            break
        }
        let folds = ETag.isHexWithPartCount(value) && value.contains(where: \.isUppercase)
        self.value = folds ? value.lowercased() : String(value)
    }

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

    /// Whether the value is hex, optionally followed by `-N`: the shapes S3 gives, in which case carries no meaning.
    private static func isHexWithPartCount(_ value: Substring) -> Bool {
        let body = value.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let hex = body.first, !hex.isEmpty, hex.allSatisfy(\.isHexDigit) else { return false }
        return body.count == 1 || body[1].allSatisfy(\.isASCII) && Int(body[1]) != nil
    }
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
