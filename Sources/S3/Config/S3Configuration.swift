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
    /// Hears about failed attempts and may hold attempts back (a fleet's shared backoff); nil for none.
    public var observer: (any RequestObserver)?
    /// The longest one S3 request may take, start to end (`S3BACKUP_REQUEST_TIME_LIMIT_SECONDS` sets its base):
    /// 15 minutes plus 1 second per 64 KiB moved by default. Besides the transport's stall limit, which a trickle of
    /// 1 byte a second never trips. nil for no limit.
    public var requestTimeLimit: RequestTimeLimit? = RequestTimeLimit()

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

/// Sees every attempt a client makes: may delay it, and hears how it failed. Used to slow a whole fleet of
/// processes down when S3 throttles one of them.
public protocol RequestObserver: Sendable {
    /// Called before each attempt of `operation` (the S3 API name: `CopyObject`) is sent; returns when it may go.
    func beforeAttempt(_ operation: String) async
    /// An attempt failed with `error`, classified as `verdict`; `willRetry` tells whether the client tries again.
    func attemptFailed(_ error: S3Error, verdict: RetryClassifier.Verdict, willRetry: Bool)
}
