import Foundation

/// Everything an `S3Client` needs: where to send, how to sign, how to retry.
public struct S3Configuration: Sendable {
    /// AWS or a custom endpoint.
    public var endpoint: Endpoint
    /// The region to sign with until a bucket's own region is known (and for calls without a bucket).
    public var region: String
    /// Where credentials come from.
    public var credentials: any CredentialsProvider
    /// Attempts and backoff.
    public var retry: RetryPolicy
    /// The HTTP transport (libcurl in production).
    public var transport: any HTTPTransport
    /// The signing clock.
    public var clock: @Sendable () -> Date

    /// A configuration from its parts.
    public init(endpoint: Endpoint, region: String, credentials: any CredentialsProvider,
                retry: RetryPolicy = RetryPolicy(), transport: any HTTPTransport = CurlTransport(),
                clock: @escaping @Sendable () -> Date = Date.init) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.retry = retry
        self.transport = transport
        self.clock = clock
    }
}
