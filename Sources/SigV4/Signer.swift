import Foundation

/// AWS Signature Version 4 for header authorisation, with S3's rules: the path is signed as sent (no
/// normalisation, no double encoding) and the payload hash is whatever `x-amz-content-sha256` says.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
public struct Signer: Sendable {
    /// The key pair (and token) that signs.
    public let credentials: Credentials
    /// The region of the credential scope, e.g. `us-west-2`.
    public let region: String
    /// The service of the credential scope: `s3`, `sts`.
    public let service: String

    /// Creates a signer for one scope.
    public init(credentials: Credentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The payload hash of an empty body.
    public static let emptyPayloadHash = Digest.sha256([UInt8]()).hex
    /// The payload hash that leaves the body out of the signature (streamed uploads over TLS).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Signs a request.
    /// - Parameters:
    ///   - path: the path exactly as it goes on the wire, already percent-encoded (see `URIEncoding.path`).
    ///   - query: raw (decoded) query parameters; a parameter without a value has value "".
    ///   - headers: every header to sign, `host` included; `x-amz-date` and, for temporary credentials,
    ///     `x-amz-security-token` are added here.
    ///   - payloadHash: hex SHA-256 of the body, or `unsignedPayload`.
    ///   - date: the signing time: the clock is the caller's.
    public func sign(method: String, path: String, query: [(String, String)], headers: [(String, String)],
                     payloadHash: String, date: AmzDate) -> Signature {
        var headers = headers
        headers.append(("x-amz-date", date.timestamp))
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        let canonical = CanonicalRequest(method: method, path: path, query: query, headers: headers,
                                         payloadHash: payloadHash)
        let scope = "\(date.day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(date.timestamp)\n\(scope)\n\(Digest.sha256(canonical.text.utf8).hex)"
        let signature = Digest.hmacSHA256(key: signingKey(day: date.day), stringToSign.utf8).hex
        headers.append(("authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"))
        return Signature(canonicalRequest: canonical.text, stringToSign: stringToSign, signature: signature,
                         scope: scope, headers: headers)
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request"), derived once per
    /// secret, day, region and service and then looked up: one HMAC per request instead of five.
    private func signingKey(day: Substring) -> [UInt8] {
        let scope = SigningKeys.Scope(secret: credentials.secretAccessKey, day: String(day), region: region, service: service)
        return Signer.keys.key(for: scope) {
            let kDate = Digest.hmacSHA256(key: Array("AWS4\(credentials.secretAccessKey)".utf8), Array(day.utf8))
            let kRegion = Digest.hmacSHA256(key: kDate, Array(region.utf8))
            let kService = Digest.hmacSHA256(key: kRegion, Array(service.utf8))
            return Digest.hmacSHA256(key: kService, Array("aws4_request".utf8))
        }
    }

    private static let keys = SigningKeys()
}

/// Signing keys already derived in this process, by secret and scope; a handful at most (a key lives a day).
private final class SigningKeys: @unchecked Sendable {
    // @unchecked: `known` is only touched under `lock`.
    struct Scope: Hashable {
        let secret: String
        let day: String
        let region: String
        let service: String
    }

    private let lock = NSLock()
    private var known: [Scope: [UInt8]] = [:]

    func key(for scope: Scope, derive: () -> [UInt8]) -> [UInt8] {
        if let key = lock.withLock({ known[scope] }) { return key }
        let key = derive()
        lock.withLock {
            if known.count >= 64 { known.removeAll() }
            known[scope] = key
        }
        return key
    }
}

/// The result of signing: the headers to send and the intermediate texts, which tests compare to AWS's.
public struct Signature: Sendable {
    /// The canonical request that was hashed.
    public let canonicalRequest: String
    /// The string that was signed.
    public let stringToSign: String
    /// The signature, lowercase hex.
    public let signature: String
    /// `day/region/service/aws4_request`.
    public let scope: String
    /// The signed headers plus `authorization`: everything to send besides unsigned transport headers.
    public let headers: [(String, String)]
}

/// The canonical form of a request, as SigV4 hashes it.
public struct CanonicalRequest: Sendable {
    /// The full canonical request text.
    public let text: String
    /// Lowercase signed header names joined by `;`.
    public let signedHeaders: String

    /// Builds the canonical request.
    public init(method: String, path: String, query: [(String, String)], headers: [(String, String)],
                payloadHash: String) {
        // Sorted by lowercase name; a repeated header's values stay in order, joined by commas. Names are ASCII
        // tokens, so String's order is byte order. Built as bytes: this runs for every request.
        var sorted: [(name: String, index: Int)] = headers.indices.map { (CanonicalRequest.lowercased(headers[$0].0), $0) }
        sorted.sort { $0.name == $1.name ? $0.index < $1.index : $0.name < $1.name }
        var text = [UInt8](), names = [UInt8]()
        text.reserveCapacity(256 + 96 * headers.count)
        text += method.utf8
        text += "\n".utf8
        text += (path.isEmpty ? "/" : path).utf8
        text += "\n".utf8
        text += CanonicalRequest.query(query).utf8
        text += "\n".utf8
        var previous: String?
        for header in sorted {
            if header.name == previous {
                text.removeLast()
                text += ",".utf8
            } else {
                if previous != nil { names += ";".utf8 }
                names += header.name.utf8
                text += header.name.utf8
                text += ":".utf8
            }
            CanonicalRequest.appendTrimmed(headers[header.index].1, to: &text)
            text += "\n".utf8
            previous = header.name
        }
        text += "\n".utf8
        text += names
        text += "\n".utf8
        text += payloadHash.utf8
        self.text = String(decoding: text, as: UTF8.self)
        signedHeaders = String(decoding: names, as: UTF8.self)
    }

    /// ASCII lowercase (header names are ASCII); most names already are, and are returned as they are.
    static func lowercased(_ name: String) -> String {
        let hasUpper = name.utf8.withContiguousStorageIfAvailable { $0.contains(where: { (0x41...0x5A).contains($0) }) }
        return hasUpper == false ? name : name.lowercased()
    }

    /// The canonical query string: names and values encoded, sorted by encoded name then value, `name=value`
    /// joined by `&`. The same string serves as the URL's query, so the wire and the signature agree.
    public static func query(_ items: [(String, String)]) -> String {
        items.map { (URIEncoding.queryComponent($0.0), URIEncoding.queryComponent($0.1)) }
            .sorted { $0.0 == $1.0 ? $0.1.utf8.lexicographicallyPrecedes($1.1.utf8) : $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Appends a header value trimmed, with inner runs of spaces and tabs collapsed to one space, as SigV4
    /// requires: its words joined by single spaces. Spaces and tabs are single bytes that never occur inside a
    /// multi-byte UTF-8 character.
    static func appendTrimmed(_ value: String, to text: inout [UInt8]) {
        var value = value
        value.withUTF8 { bytes in
            func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
            var index = 0, first = true
            while index < bytes.count {
                while index < bytes.count, isBlank(bytes[index]) { index += 1 }
                let word = index
                while index < bytes.count, !isBlank(bytes[index]) { index += 1 }
                guard word < index else { break }
                if !first { text.append(0x20) }
                text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[word..<index]))
                first = false
            }
        }
    }
}
