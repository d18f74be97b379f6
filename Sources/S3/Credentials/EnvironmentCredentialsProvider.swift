import Foundation
import SigV4

/// Credentials from environment variables: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, with AWS_SESSION_TOKEN (or the
/// legacy AWS_SECURITY_TOKEN) and AWS_CREDENTIAL_EXPIRATION for temporary credentials.
/// https://docs.aws.amazon.com/sdkref/latest/guide/environment-variables.html
public struct EnvironmentCredentialsProvider: CredentialsProvider {
    private let environment: [String: String]

    /// Reads from `environment` (the caller passes ProcessInfo's).
    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// Whether AWS_ACCESS_KEY_ID is set, which (as in botocore's EnvProvider) is what puts this source in charge.
    public var isConfigured: Bool { value("AWS_ACCESS_KEY_ID") != nil }

    /// The credentials the variables hold; a configuration error when they are missing or incomplete.
    public func credentials() throws -> Credentials {
        guard let keyID = value("AWS_ACCESS_KEY_ID") else {
            throw S3Error(.configuration, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; set both")
        }
        guard let secret = value("AWS_SECRET_ACCESS_KEY") else {
            throw S3Error(.configuration, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both, "
                + "or unset AWS_ACCESS_KEY_ID to use a profile")
        }
        var expiration: Date?
        if let text = value("AWS_CREDENTIAL_EXPIRATION") {
            guard let date = CredentialDocuments.date(text) else {
                throw S3Error(.configuration, "AWS_CREDENTIAL_EXPIRATION \(text.debugDescription) is not an ISO 8601 "
                    + "time such as 2030-01-01T00:00:00Z")
            }
            expiration = date
        }
        return Credentials(accessKeyID: keyID, secretAccessKey: secret,
                           sessionToken: value("AWS_SESSION_TOKEN") ?? value("AWS_SECURITY_TOKEN"),
                           expiration: expiration)
    }

    /// A variable's value; nil when unset or empty.
    private func value(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }
}
