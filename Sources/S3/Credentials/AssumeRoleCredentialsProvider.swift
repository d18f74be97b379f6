import Foundation
import SigV4

/// Temporary credentials for an IAM role, from STS AssumeRole (Query API, SigV4 service `sts`), signed with a
/// source provider's credentials.
/// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
public struct AssumeRoleCredentialsProvider: CredentialsProvider {
    /// The role to assume.
    public let roleARN: String
    /// The session name; nil means `s3backup-<epoch seconds>` at each call.
    public let sessionName: String?
    /// The lifetime asked for, 900 to 43200 seconds.
    public let durationSeconds: Int
    /// The external id the role's trust policy may demand.
    public let externalID: String?
    private let source: any CredentialsProvider
    private let endpoint: STSEndpoint
    private let transport: any HTTPTransport
    private let retry: RetryPolicy
    private let now: @Sendable () -> Date

    /// A provider that assumes `roleARN` at `endpointURL`, signing for `region` (us-east-1 when empty) with
    /// `source`'s credentials; a configuration error for a bad URL or duration.
    public init(roleARN: String, sessionName: String? = nil, durationSeconds: Int = 3_600, externalID: String? = nil,
                source: any CredentialsProvider, endpointURL: String, region: String, transport: any HTTPTransport,
                now: @escaping @Sendable () -> Date = Date.init) throws {
        let endpoint = try STSEndpoint(url: endpointURL, signingRegion: region.isEmpty ? "us-east-1" : region,
                                       setting: "the STS endpoint")
        try self.init(roleARN: roleARN, sessionName: sessionName, durationSeconds: durationSeconds,
                      externalID: externalID, source: source, endpoint: endpoint, transport: transport, now: now)
    }

    /// A provider for a resolved endpoint.
    init(roleARN: String, sessionName: String?, durationSeconds: Int, externalID: String?,
         source: any CredentialsProvider, endpoint: STSEndpoint, transport: any HTTPTransport,
         retry: RetryPolicy = RetryPolicy(), now: @escaping @Sendable () -> Date) throws {
        guard (900...43_200).contains(durationSeconds) else {
            throw S3Error(.configuration, "duration_seconds \(durationSeconds) for role \(roleARN) must be from 900 "
                + "to 43200")
        }
        self.roleARN = roleARN
        self.sessionName = sessionName
        self.durationSeconds = durationSeconds
        self.externalID = externalID
        self.source = source
        self.endpoint = endpoint
        self.transport = transport
        self.retry = retry
        self.now = now
    }

    /// Assumes the role, retrying transient failures as AWS standard retry mode does.
    public func credentials() async throws -> Credentials {
        let signing = try await source.credentials()
        let body = Array(Self.requestBody(roleARN: roleARN,
                                          sessionName: sessionName ?? "s3backup-\(Int(now().timeIntervalSince1970))",
                                          durationSeconds: durationSeconds, externalID: externalID).utf8)
        var attempt = 1
        while true {
            do {
                return try await attemptOnce(body: body, signing: signing)
            } catch let error as S3Error {
                guard RetryClassifier.classify(error) != .fatal, attempt < retry.maxAttempts else { throw error }
                try await Task.sleep(for: retry.delay(afterAttempt: attempt, random: Double.random(in: 0..<1),
                                                      retryAfterSeconds: error.retryAfterSeconds))
                attempt += 1
            }
        }
    }

    private func attemptOnce(body: [UInt8], signing: Credentials) async throws -> Credentials {
        let payloadHash = Digest.sha256(body).hex
        let signature = Signer(credentials: signing, region: endpoint.signingRegion, service: "sts").sign(
            method: "POST", path: endpoint.path, query: [],
            headers: [("host", endpoint.host), ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
                      ("x-amz-content-sha256", payloadHash)],
            payloadHash: payloadHash, date: AmzDate(now()))
        let request = HTTPRequest(method: "POST", url: endpoint.url,
                                  headers: signature.headers + [("User-Agent", "s3backup")],
                                  body: BytesBody(body), timeoutMilliseconds: 30_000)
        let response: HTTPResponse
        do {
            response = try await transport.perform(request)
        } catch let failure as TransportError {
            var error = S3Error(.transport(curlCode: failure.code), "STS did not answer: \(failure.message)",
                                operation: "AssumeRole")
            error.endpoint = endpoint.url
            throw error
        }
        do {
            guard response.isSuccess else { throw Self.serviceError(response, roleARN: roleARN) }
            return try Self.parseResponse(response.body)
        } catch var error as S3Error {
            error.operation = "AssumeRole"
            error.endpoint = endpoint.url
            throw error
        }
    }

    /// The form-encoded AssumeRole request body.
    static func requestBody(roleARN: String, sessionName: String, durationSeconds: Int, externalID: String?) -> String {
        var fields = [("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
                      ("RoleSessionName", sessionName), ("DurationSeconds", String(durationSeconds))]
        if let externalID { fields.append(("ExternalId", externalID)) }
        return fields.map { "\($0.0)=\(URIEncoding.queryComponent($0.1))" }.joined(separator: "&")
    }

    /// The credentials in an AssumeRole answer, found by element name. The error never quotes the document, which
    /// holds the secret.
    static func parseResponse(_ body: [UInt8]) throws -> Credentials {
        guard let tree = try? XMLTree.parse(body) else {
            throw S3Error(.invalidResponse, "STS answered AssumeRole with a document that is not XML")
        }
        guard let element = tree.find("Credentials"),
              let keyID = element.text("AccessKeyId")?.trimmingCharacters(in: .whitespacesAndNewlines), !keyID.isEmpty,
              let secret = element.text("SecretAccessKey")?.trimmingCharacters(in: .whitespacesAndNewlines),
              !secret.isEmpty,
              let token = element.text("SessionToken")?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty
        else {
            throw S3Error(.invalidResponse, "STS answered AssumeRole without AccessKeyId, SecretAccessKey and SessionToken")
        }
        guard let expirationText = element.text("Expiration"), let expiration = CredentialDocuments.date(expirationText)
        else {
            throw S3Error(.invalidResponse, "STS answered AssumeRole without a valid Expiration")
        }
        return Credentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: token, expiration: expiration)
    }

    /// An STS error answer (`<ErrorResponse><Error><Code/><Message/></Error><RequestId/>`) as an S3Error.
    /// https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
    static func serviceError(_ response: HTTPResponse, roleARN: String) -> S3Error {
        let tree = try? XMLTree.parse(response.body)
        let document = tree?.find("Error")
        let code = document?.text("Code").flatMap { $0.isEmpty ? nil : $0 } ?? "HTTP\(response.status)"
        let detail = document?.text("Message").flatMap { $0.isEmpty ? nil : $0 } ?? "STS answered HTTP \(response.status)"
        var error = S3Error(.service(status: response.status, code: code),
                            "cannot assume role \(roleARN): \(detail)")
        error.requestID = response.headers["x-amzn-requestid"] ?? tree?.find("RequestId")?.text
        if let seconds = response.headers["retry-after"].flatMap(Double.init) { error.retryAfterSeconds = seconds }
        return error
    }
}
