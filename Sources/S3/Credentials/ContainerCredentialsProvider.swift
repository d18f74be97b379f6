import Foundation
import SigV4

/// Credentials from the ECS/EKS container credentials endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (under
/// http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI, with an Authorization header from
/// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read every fetch, as EKS Pod Identity rotates it) or
/// AWS_CONTAINER_AUTHORIZATION_TOKEN.
/// https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
public struct ContainerCredentialsProvider: CredentialsProvider {
    /// The ECS agent's address, which a relative URI is appended to.
    public static let ecsHost = "http://169.254.170.2"
    /// Hosts allowed over plain http besides loopback (ECS, EKS Pod Identity over IPv4 and IPv6).
    static let allowedHTTPHosts: Set<String> = ["localhost", "169.254.170.2", "169.254.170.23", "fd00:ec2::23"]
    /// The whole exchange's bound (botocore's ContainerMetadataFetcher.TIMEOUT_SECONDS).
    static let timeoutMilliseconds = 2_000
    /// Attempts per fetch (botocore's ContainerMetadataFetcher.RETRY_ATTEMPTS).
    static let attempts = 3

    /// The credentials URL.
    public let url: String
    private let tokenFile: String?
    private let token: String?
    private let transport: any HTTPTransport
    private let retryDelay: Duration

    /// A provider for the endpoint `environment` names; a configuration error when it names none or one that is
    /// not allowed. `retryDelay` is the wait between attempts.
    public init(environment: [String: String], transport: any HTTPTransport, retryDelay: Duration = .seconds(1)) throws {
        guard let url = try Self.endpoint(environment: environment) else {
            throw S3Error(.configuration, "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                + "AWS_CONTAINER_CREDENTIALS_FULL_URI is set, so there is no container credentials endpoint")
        }
        self.url = url
        tokenFile = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        self.transport = transport
        self.retryDelay = retryDelay
    }

    /// The credentials URL `environment` configures: nil when neither variable is set; a configuration error
    /// for a FULL_URI that is not https and not on an allowed host (the token must not travel in clear text).
    public static func endpoint(environment: [String: String]) throws -> String? {
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            return ecsHost + (relative.hasPrefix("/") ? relative : "/" + relative)
        }
        guard let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty else { return nil }
        func refused(_ why: String) -> S3Error {
            S3Error(.configuration, "AWS_CONTAINER_CREDENTIALS_FULL_URI \(full.debugDescription) \(why)")
        }
        guard let components = URLComponents(string: full), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            throw refused("is not a URL")
        }
        switch scheme {
        case "https":
            return full
        case "http":
            guard isAllowedHTTPHost(host) else {
                throw refused("is refused: plain http is allowed only for loopback, 169.254.170.2, 169.254.170.23 "
                    + "and fd00:ec2::23; use https")
            }
            return full
        default:
            throw refused("is refused: the scheme must be http or https")
        }
    }

    /// Loopback (127.0.0.0/8, ::1), `localhost`, or one of the container agent addresses.
    static func isAllowedHTTPHost(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if allowedHTTPHosts.contains(name) { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, name, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, name, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            if bytes == Array(repeating: 0, count: 15) + [1] { return true }
            var agent = in6_addr()
            _ = inet_pton(AF_INET6, "fd00:ec2::23", &agent)
            return bytes == withUnsafeBytes(of: agent) { Array($0) }
        }
        return false
    }

    /// Fetches credentials: 2 s per attempt, up to 3 attempts when the endpoint does not answer or answers 5xx.
    public func credentials() async throws -> Credentials {
        var request = HTTPRequest(method: "GET", url: url, headers: [("Accept", "application/json")],
                                  timeoutMilliseconds: Self.timeoutMilliseconds)
        // Directly, never through `http_proxy`: the authorization token and the credentials must not pass a proxy.
        request.bypassesProxy = true
        if let authorization = try authorization() { request.headers.append(("Authorization", authorization)) }
        let source = "the container credentials endpoint"
        let response = try await CredentialDocuments.fetch(request, attempts: Self.attempts, delay: retryDelay,
                                                           transport: transport, source: source)
        guard response.status == 200 else {
            throw CredentialDocuments.statusError(response, request: request, source: source)
        }
        return try CredentialDocuments.json(response.body, source: source)
    }

    /// The Authorization value: the token file's content (read now) or the token variable; never printed.
    private func authorization() throws -> String? {
        var value = token
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw S3Error(.configuration, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(tokenFile)")
            }
            value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let value else { return nil }
        guard !value.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw S3Error(.configuration, "the container authorization token contains a line break; "
                + "check AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE / AWS_CONTAINER_AUTHORIZATION_TOKEN")
        }
        return value
    }
}
