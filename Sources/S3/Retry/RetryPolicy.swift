/// AWS standard retry mode: a bounded number of attempts, exponential backoff with full jitter capped at 20 s,
/// and a process-wide retry quota so a broken service is not hammered by every caller at once.
/// https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
public struct RetryPolicy: Sendable {
    /// Attempts per request, the first included (`AWS_MAX_ATTEMPTS`, config `max_attempts`; standard default 3).
    public var maxAttempts: Int
    /// Whether `maxAttempts` is the user's (`AWS_MAX_ATTEMPTS`, `max_attempts`), to be honoured as given, rather than
    /// the default.
    public var attemptsConfigured = false
    /// The backoff base: the first retry waits up to this long.
    public var baseDelay: Duration
    /// The backoff cap.
    public var maxBackoff: Duration
    /// The longest `Retry-After` we honour; a larger value is treated as this.
    public var maxRetryAfter: Duration

    /// Standard mode's values.
    public init(maxAttempts: Int = 3, baseDelay: Duration = .seconds(1), maxBackoff: Duration = .seconds(20),
                maxRetryAfter: Duration = .seconds(300)) {
        precondition(maxAttempts >= 1, "at least one attempt")
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxBackoff = maxBackoff
        self.maxRetryAfter = maxRetryAfter
    }

    /// The wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed: `random × min(base ×
    /// 2^(attempt-1), cap)`, but never less than a `Retry-After` the server sent. `random` is in [0, 1).
    public func delay(afterAttempt attempt: Int, random: Double, retryAfterSeconds: Double? = nil) -> Duration {
        precondition(attempt >= 1 && (0..<1).contains(random), "attempt is 1-based, random in [0, 1)")
        let exponential = baseDelay * Double(1 << min(attempt - 1, 30))
        let jittered = min(exponential, maxBackoff) * random
        guard let retryAfterSeconds, retryAfterSeconds.isFinite, retryAfterSeconds > 0 else { return jittered }
        // Clamp before converting: a server may send any number (1e300 does not fit a Duration).
        let cap = Double(maxRetryAfter.components.seconds) + Double(maxRetryAfter.components.attoseconds) / 1e18
        return max(jittered, .milliseconds(Int64(min(retryAfterSeconds, cap) * 1000)))
    }
}

/// The retry quota of standard mode: a bucket of 500 tokens shared by all requests of a client. A retry takes 5
/// (10 after a timeout); a success gives back what its retries took, or 1 if it needed none. An empty bucket
/// means failures are returned at once instead of retried.
public final class RetryQuota: Sendable {
    /// Tokens a full bucket holds.
    public static let capacity = 500
    private let tokens = LockedBox(RetryQuota.capacity)

    /// A full bucket.
    public init() {}

    /// Tokens now available.
    public var available: Int { tokens.value }

    /// Takes the cost of one retry after a failure of `verdict`; nil when the bucket cannot pay.
    public func acquire(for verdict: RetryClassifier.Verdict) -> Int? {
        let cost = verdict == .timeout ? 10 : 5
        return tokens.mutate { available in
            guard available >= cost else { return nil }
            available -= cost
            return cost
        }
    }

    /// Records a success: returns `spent` tokens taken by its retries, or 1 when it succeeded at once.
    public func release(spent: Int) {
        tokens.mutate { $0 = min(RetryQuota.capacity, $0 + (spent > 0 ? spent : 1)) }
    }
}
