import Foundation

/// An AWS access key pair, with the session token and expiry of temporary credentials.
public struct Credentials: Sendable, Equatable, CustomStringConvertible {
    /// The access key id (`AKIA…` long-term, `ASIA…` temporary); not secret.
    public var accessKeyID: String
    /// The secret access key; never printed.
    public var secretAccessKey: String
    /// The session token of temporary credentials; never printed.
    public var sessionToken: String?
    /// When temporary credentials stop working; nil for long-term keys.
    public var expiration: Date?

    /// Creates credentials from their parts.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    /// Names the key id only, so credentials can be logged without leaking the secret or the token.
    public var description: String {
        "Credentials(\(accessKeyID), secret: <redacted>\(sessionToken == nil ? "" : ", session token: <redacted>"))"
    }
}
