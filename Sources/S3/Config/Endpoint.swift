import SigV4

/// Where S3 requests go: AWS's regional endpoints (virtual-hosted addressing) or a custom endpoint such as an
/// emulator or another provider (path-style addressing, as the AWS CLI does for `--endpoint-url`).
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    /// `http` or `https`.
    public let scheme: String
    /// The host of a custom endpoint; nil for AWS, whose host depends on bucket and region.
    public let customHost: String?
    /// An explicit port.
    public let port: Int?
    /// A path prefix of a custom endpoint (rare; e.g. a gateway mounted under `/s3`), without trailing slash.
    public let basePath: String

    /// AWS S3 over HTTPS.
    public static let aws = Endpoint(scheme: "https", customHost: nil, port: nil, basePath: "")

    private init(scheme: String, customHost: String?, port: Int?, basePath: String) {
        self.scheme = scheme
        self.customHost = customHost
        self.port = port
        self.basePath = basePath
    }

    /// Parses a custom endpoint URL such as `http://127.0.0.1:5000`; `setting` names where it came from, for the
    /// error message.
    public init(url: String, setting: String) throws {
        func invalid(_ why: String) -> S3Error {
            S3Error(.configuration, "\(setting) \(Endpoint.redacted(url).debugDescription) is not a valid endpoint URL: \(why)")
        }
        guard let schemeEnd = url.range(of: "://") else { throw invalid("expected http://HOST[:PORT] or https://…") }
        guard !url[schemeEnd.upperBound...].contains("@") else {
            throw invalid("it holds a user name or password, which S3 never uses (requests are signed with the AWS keys); "
                + "remove the part before @")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { throw invalid("the scheme must be http or https") }
        var rest = url[schemeEnd.upperBound...]
        var basePath = ""
        if let slash = rest.firstIndex(of: "/") {
            basePath = String(rest[slash...])
            rest = rest[..<slash]
        }
        while basePath.hasSuffix("/") { basePath.removeLast() }
        guard !basePath.contains("?"), !basePath.contains("#") else { throw invalid("no query or fragment allowed") }
        var host = String(rest)
        var port: Int?
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") {
            guard let number = Int(host[host.index(after: colon)...]), (1...65_535).contains(number) else {
                throw invalid("the port must be a number from 1 to 65535")
            }
            port = number
            host = String(host[..<colon])
        }
        guard !host.isEmpty, !host.contains("@"), !host.contains(" ") else { throw invalid("the host is missing or malformed") }
        // libcurl leaves a scheme's default port out of Host:, so the signed host must too.
        if port == (scheme == "https" ? 443 : 80) { port = nil }
        self.init(scheme: scheme, customHost: host, port: port, basePath: basePath)
    }

    /// `url` fit to show: everything between `://` and its last `@` (a user name and password, which may hold `@`
    /// or `/` themselves) replaced by `***`.
    public static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"), let at = url[schemeEnd.upperBound...].lastIndex(of: "@") else { return url }
        return String(url[..<schemeEnd.upperBound]) + "***" + String(url[at...])
    }

    /// Whether this is a custom endpoint rather than AWS.
    public var isCustom: Bool { customHost != nil }

    /// The URL without path, for messages.
    public var description: String {
        guard let customHost else { return "AWS S3 (https://s3.REGION.amazonaws.com)" }
        return "\(scheme)://\(customHost)\(port.map { ":\($0)" } ?? "")\(basePath)"
    }

    /// The host header value, the path as signed and sent, and the URL prefix for `bucket`/`encodedKey` in
    /// `region`.
    func address(bucket: String?, encodedKey: String?, region: String) -> (host: String, path: String, base: String) {
        let keyPath = encodedKey.map { "/\($0)" } ?? ""
        let host: String
        let path: String
        if let customHost {
            host = customHost
            path = basePath + (bucket.map { "/\(URIEncoding.path($0))" } ?? "") + keyPath
        } else {
            let domain = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
            let regional = "s3.\(region).\(domain)"
            if let bucket, Endpoint.isVirtualHostable(bucket) {
                host = "\(bucket).\(regional)"
                path = keyPath
            } else {
                host = regional
                path = (bucket.map { "/\($0)" } ?? "") + keyPath
            }
        }
        let hostHeader = port.map { "\(host):\($0)" } ?? host
        return (hostHeader, path.isEmpty ? "/" : path, "\(scheme)://\(hostHeader)")
    }

    /// DNS-compatible names without dots (dots break the wildcard TLS certificate) go in the host name.
    static func isVirtualHostable(_ bucket: String) -> Bool {
        (3...63).contains(bucket.utf8.count) && bucket.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        } && !bucket.hasPrefix("-") && !bucket.hasSuffix("-")
    }
}

