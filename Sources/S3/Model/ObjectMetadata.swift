/// The metadata that travels with an object: standard HTTP headers and user metadata (`x-amz-meta-*`).
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html
public struct ObjectMetadata: Sendable, Equatable {
    /// Content-Type.
    public var contentType: String?
    /// Cache-Control.
    public var cacheControl: String?
    /// Content-Disposition.
    public var contentDisposition: String?
    /// Content-Encoding.
    public var contentEncoding: String?
    /// Content-Language.
    public var contentLanguage: String?
    /// Expires, as the HTTP date S3 stores.
    public var expires: String?
    /// User metadata by lowercase name without the `x-amz-meta-` prefix.
    public var user: [String: String]

    /// Metadata from its parts.
    public init(contentType: String? = nil, cacheControl: String? = nil, contentDisposition: String? = nil,
                contentEncoding: String? = nil, contentLanguage: String? = nil, expires: String? = nil,
                user: [String: String] = [:]) {
        self.contentType = contentType
        self.cacheControl = cacheControl
        self.contentDisposition = contentDisposition
        self.contentEncoding = contentEncoding
        self.contentLanguage = contentLanguage
        self.expires = expires
        self.user = user
    }

    /// The standard headers, by lowercase name, and where each lives in this struct.
    private static let standard: [(String, WritableKeyPath<ObjectMetadata, String?> & Sendable)] = [
        ("content-type", \.contentType), ("cache-control", \.cacheControl),
        ("content-disposition", \.contentDisposition), ("content-encoding", \.contentEncoding),
        ("content-language", \.contentLanguage), ("expires", \.expires),
    ]
    private static let userPrefix = "x-amz-meta-"

    /// Reads the metadata from response headers (lowercase names).
    init(headers: [String: String]) {
        self.init()
        for (name, path) in ObjectMetadata.standard { self[keyPath: path] = headers[name] }
        for (name, value) in headers where name.hasPrefix(ObjectMetadata.userPrefix) {
            user[String(name.dropFirst(ObjectMetadata.userPrefix.count))] = value
        }
    }

    /// The request headers that set this metadata, in a stable order.
    var headers: [(String, String)] {
        var out: [(String, String)] = []
        for (name, path) in ObjectMetadata.standard {
            if let value = self[keyPath: path] { out.append((name, value)) }
        }
        for name in user.keys.sorted() { out.append((ObjectMetadata.userPrefix + name, user[name]!)) }
        return out
    }
}
