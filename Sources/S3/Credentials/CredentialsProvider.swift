import SigV4

/// Anything that can produce credentials.
public protocol CredentialsProvider: Sendable {
    /// Current credentials; may fetch or refresh.
    func credentials() async throws -> Credentials
}
