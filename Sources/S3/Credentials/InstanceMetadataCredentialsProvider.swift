import Foundation
import SigV4

/// Credentials of the EC2 instance's IAM role from the instance metadata service, IMDSv2 (session token) first.
/// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
/// https://docs.aws.amazon.com/sdkref/latest/guide/feature-imds-credentials.html
public actor InstanceMetadataCredentialsProvider: CredentialsProvider {
    /// The IPv4 endpoint.
    public static let defaultEndpoint = "http://169.254.169.254"
    /// The IPv6 endpoint (AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6).
    public static let ipv6Endpoint = "http://[fd00:ec2::254]"
    /// The session token lifetime asked for, in seconds (the maximum).
    static let tokenTTLSeconds = 21_600
    /// A token is replaced this long before its lifetime ends, so it never expires in flight.
    static let tokenRenewalMarginSeconds: TimeInterval = 60
    static let credentialsPath = "/latest/meta-data/iam/security-credentials/"

    /// Where the metadata service is, without a trailing slash.
    public nonisolated let endpoint: String
    /// Whether AWS_EC2_METADATA_DISABLED=true turned it off.
    public nonisolated let isDisabled: Bool
    private let v1Disabled: Bool
    private let timeoutMilliseconds: Int
    private let attempts: Int
    private let transport: any HTTPTransport
    private let now: @Sendable () -> Date
    private var token: (value: String, renewAt: Date)?

    /// Settings from `environment`, then `profile` (config-file keys), then botocore's defaults: 1 s timeout, 1
    /// attempt. A configuration error for a malformed setting.
    public init(environment: [String: String], profile: [String: String] = [:], transport: any HTTPTransport,
                now: @escaping @Sendable () -> Date = Date.init) throws {
        func setting(_ variable: String, _ key: String) -> String? {
            for value in [environment[variable], profile[key]] {
                if let value, !value.isEmpty { return value }
            }
            return nil
        }
        isDisabled = environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true"
        v1Disabled = setting("AWS_EC2_METADATA_V1_DISABLED", "ec2_metadata_v1_disabled")?.lowercased() == "true"

        if let configured = setting("AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint") {
            let lowered = configured.lowercased()
            guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
                throw S3Error(.configuration, "AWS_EC2_METADATA_SERVICE_ENDPOINT \(configured.debugDescription) must "
                    + "be an http:// or https:// URL")
            }
            var trimmed = configured
            while trimmed.hasSuffix("/") { trimmed.removeLast() }
            endpoint = trimmed
        } else {
            switch setting("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode")?.lowercased() {
            case nil, "ipv4": endpoint = Self.defaultEndpoint
            case "ipv6": endpoint = Self.ipv6Endpoint
            case let other?:
                throw S3Error(.configuration, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE \(other.debugDescription) must "
                    + "be IPv4 or IPv6")
            }
        }

        let timeout = setting("AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout") ?? "1"
        guard let seconds = Double(timeout), seconds > 0, seconds <= 3_600 else {
            throw S3Error(.configuration, "AWS_METADATA_SERVICE_TIMEOUT \(timeout.debugDescription) must be a "
                + "number of seconds greater than 0")
        }
        timeoutMilliseconds = Int((seconds * 1_000).rounded(.up))
        let attemptsText = setting("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "metadata_service_num_attempts") ?? "1"
        guard let attempts = Int(attemptsText), (1...10).contains(attempts) else {
            throw S3Error(.configuration, "AWS_METADATA_SERVICE_NUM_ATTEMPTS \(attemptsText.debugDescription) must "
                + "be a whole number from 1 to 10")
        }
        self.attempts = attempts
        self.transport = transport
        self.now = now
    }

    /// Token, role name, then the role's credentials; a token the service rejects (it restarted) is replaced once.
    public func credentials() async throws -> Credentials {
        guard !isDisabled else {
            throw S3Error(.configuration, "the instance metadata service is disabled (AWS_EC2_METADATA_DISABLED=true)")
        }
        do {
            return try await fetchCredentials()
        } catch let error as S3Error where error.status == 401 && token != nil {
            token = nil
            return try await fetchCredentials()
        }
    }

    private func fetchCredentials() async throws -> Credentials {
        let sessionToken = try await currentToken()
        let listing = try await get(Self.credentialsPath, token: sessionToken, what: "the IAM role name")
        guard let role = String(decoding: listing, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map({ $0.trimmingCharacters(in: .whitespaces) }).first(where: { !$0.isEmpty }) else {
            throw S3Error(.configuration, "the instance has no IAM role: attach an instance profile, or configure "
                + "credentials another way")
        }
        let document = try await get(Self.credentialsPath + URIEncoding.path(role), token: sessionToken,
                                     what: "the role's credentials")
        return try CredentialDocuments.json(document, source: "the instance metadata service (\(endpoint))")
    }

    /// The session token, reused until shortly before its TTL; nil when the service does not offer IMDSv2 and
    /// IMDSv1 is allowed (botocore falls back on 403, 404 and 405 alike).
    private func currentToken() async throws -> String? {
        if let token, now() < token.renewAt { return token.value }
        let issued = now()
        let request = HTTPRequest(method: "PUT", url: endpoint + "/latest/api/token",
                                  headers: [("X-aws-ec2-metadata-token-ttl-seconds", String(Self.tokenTTLSeconds))],
                                  timeoutMilliseconds: timeoutMilliseconds)
        let response = try await perform(request)
        switch response.status {
        case 200:
            let value = String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else {
                throw S3Error(.invalidResponse, "the instance metadata service answered an empty session token")
            }
            token = (value, issued.addingTimeInterval(TimeInterval(Self.tokenTTLSeconds) - Self.tokenRenewalMarginSeconds))
            return value
        case 403, 404, 405:
            guard !v1Disabled else {
                throw S3Error(.configuration, "the instance metadata service gave no session token (HTTP "
                    + "\(response.status)) and IMDSv1 is disabled (AWS_EC2_METADATA_V1_DISABLED)")
            }
            return nil
        default:
            throw CredentialDocuments.statusError(response, request: request, source: "the instance metadata service")
        }
    }

    /// GETs `path` with the session token (when there is one); the body of a 200 answer.
    private func get(_ path: String, token: String?, what: String) async throws -> [UInt8] {
        var request = HTTPRequest(method: "GET", url: endpoint + path, timeoutMilliseconds: timeoutMilliseconds)
        if let token { request.headers.append(("X-aws-ec2-metadata-token", token)) }
        let response = try await perform(request)
        guard response.status == 200 else {
            if response.status == 404 && path == Self.credentialsPath {
                throw S3Error(.configuration, "the instance has no IAM role (instance metadata answered 404 for "
                    + "\(what)): attach an instance profile, or configure credentials another way")
            }
            throw CredentialDocuments.statusError(response, request: request, source: "the instance metadata service")
        }
        return response.body
    }

    /// Every request goes to the service directly: through a proxy (`http_proxy`), the session token and the role's
    /// credentials would pass through it, or the proxy would answer for the instance.
    private func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        var direct = request
        direct.bypassesProxy = true
        return try await CredentialDocuments.fetch(direct, attempts: attempts, delay: .milliseconds(100),
                                                   transport: transport, source: "the instance metadata service at \(endpoint)")
    }
}
