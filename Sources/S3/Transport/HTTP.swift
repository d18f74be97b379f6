/// One HTTP exchange as the transport performs it: the URL and headers are final (already signed).
public struct HTTPRequest: Sendable {
    /// `GET`, `HEAD`, `PUT`, `POST` or `DELETE`.
    public var method: String
    /// The full URL, percent-encoded exactly as it must go on the wire.
    public var url: String
    /// Headers to send, in order.
    public var headers: [(String, String)]
    /// The body, if any; sent with an exact Content-Length.
    public var body: (any BodySource)?
    /// Where a 2xx response body goes; nil collects it in `HTTPResponse.body`.
    public var sink: (any BodySink)?
    /// A bound on the whole exchange, for small metadata calls; nil means only stall detection.
    public var timeoutMilliseconds: Int?
    /// A bound on the whole exchange that grows with the bytes it moves (S3 calls); nil for none.
    public var timeLimit: RequestTimeLimit?
    /// The most bytes of an answer kept in memory (every answer not streamed to `sink`); a larger one aborts the
    /// transfer with `TransferLimitExceeded.body`.
    public var maxBodyBytes = HTTPRequest.defaultMaxBodyBytes
    /// Whether to reach the host directly even when a proxy is configured (credential endpoints on link-local and
    /// loopback addresses: their answers, and the tokens sent to them, must not pass through anyone else).
    public var bypassesProxy = false

    /// 64 MiB. The largest answers kept in memory, at their worst (1,024-byte keys written as `&quot;` six bytes a
    /// byte, every optional element present): a DeleteObjects result of 1,000 errors with 1,024-byte version ids,
    /// 7.1 MiB; a ListObjectVersions or ListObjectsV2 page of 1,000 entries, 6.5 MiB; a ListParts page of 10,000
    /// parts with every checksum, 4.2 MiB. The cap is nine times the worst (XMLLimitTests builds these answers).
    public static let defaultMaxBodyBytes = 64 << 20

    /// Creates a request.
    public init(method: String, url: String, headers: [(String, String)] = [], body: (any BodySource)? = nil,
                sink: (any BodySink)? = nil, timeoutMilliseconds: Int? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.sink = sink
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// The final response of an exchange.
public struct HTTPResponse: Sendable {
    /// The HTTP status of the final response (interim 100 Continue lines are dropped).
    public var status: Int
    /// Response headers by lowercase name; a repeated header keeps its last value.
    public var headers: [String: String]
    /// The body when no sink took it: always for non-2xx responses, so errors can be parsed.
    public var body: [UInt8]

    /// A response from its parts (custom transports, tests).
    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// A failure below HTTP: the connection, TLS, a timeout, or a body source or sink that threw.
public struct TransportError: Error, Sendable {
    /// libcurl's CURLcode.
    public let code: Int
    /// libcurl's explanation, with its error buffer's details.
    public let message: String
    /// The error thrown by a body source or sink, when that is what stopped the transfer.
    public let underlying: (any Error & Sendable)?

    /// A transport error from its parts.
    public init(code: Int, message: String, underlying: (any Error & Sendable)?) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }
}

/// Performs HTTP exchanges; the S3 client's only way out, so tests and fault injection can stand in.
public protocol HTTPTransport: Sendable {
    /// Performs one exchange; throws `TransportError` when no HTTP response arrived.
    func perform(_ request: HTTPRequest) async throws -> HTTPResponse
}
