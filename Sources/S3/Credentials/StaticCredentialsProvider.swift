import SigV4

/// Fixed credentials: keys from the environment, a profile or the command line.
public struct StaticCredentialsProvider: CredentialsProvider {
    private let value: Credentials

    /// Always answers `credentials`.
    public init(_ credentials: Credentials) { value = credentials }

    /// The credentials given at creation.
    public func credentials() -> Credentials { value }
}
