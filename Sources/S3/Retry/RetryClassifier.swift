/// Which failures are worth another attempt, after AWS SDK standard mode
/// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html) and S3's error best practices.
public enum RetryClassifier {
    /// The verdict on one failure.
    public enum Verdict: Sendable, Equatable {
        /// A transient fault (5xx, connection reset, 200-with-Error): retry with backoff.
        case transient
        /// A timeout: retry, at the higher quota cost standard mode charges for it.
        case timeout
        /// The server asked us to slow down: retry with backoff.
        case throttled
        /// Retrying cannot help.
        case fatal
    }

    /// AWS error codes that mean "slow down" (botocore standard mode's throttling list).
    static let throttlingCodes: Set<String> = [
        "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
        "PriorRequestNotComplete", "EC2ThrottledException",
    ]
    /// AWS error codes that mean a transient fault whatever the status.
    static let transientCodes: Set<String> = ["InternalError", "ServiceUnavailable", "RequestTimeout",
                                              "RequestTimeoutException"]
    /// libcurl codes for a failed exchange that may succeed on a new attempt (https://curl.se/libcurl/c/libcurl-errors.html):
    /// couldn't resolve host/connect, HTTP/2 framing, partial file, send/receive errors, SSL connect, got nothing,
    /// and a resend whose body could not be rewound (65): a new attempt opens the body afresh. Deliberately left out:
    /// CURLE_ABORTED_BY_CALLBACK (42), a request that ran past its whole request time limit (another attempt on the
    /// same path would most likely hold a worker as long again), and CURLE_WRITE_ERROR (23), an answer past the cap
    /// on bodies kept in memory or a sink that failed.
    static let transientCurlCodes: Set<Int> = [6, 7, 16, 18, 35, 52, 55, 56, 65, 92]
    /// CURLE_OPERATION_TIMEDOUT.
    static let timeoutCurlCode = 28

    /// Classifies `error`.
    public static func classify(_ error: S3Error) -> Verdict {
        switch error.kind {
        case .transport(let code):
            if code == timeoutCurlCode { return .timeout }
            return transientCurlCodes.contains(code) ? .transient : .fatal
        case .service(let status, let code):
            if throttlingCodes.contains(code) || status == 429 { return .throttled }
            if error.arrivedWithSuccessStatus || transientCodes.contains(code) { return .transient }
            return [500, 502, 503, 504].contains(status) ? .transient : .fatal
        case .configuration, .invalidResponse, .local:
            return .fatal
        }
    }
}
