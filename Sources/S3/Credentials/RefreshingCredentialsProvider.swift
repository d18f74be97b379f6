import Foundation
import SigV4

/// Caches a provider's temporary credentials and refreshes them before they expire: from 15 minutes before
/// expiry a refresh is tried (a failure keeps the old ones), from 10 minutes before it must succeed. Concurrent
/// callers share one refresh; the clock is injected.
/// A source that has just answered is not asked again within a minute while its credentials are unexpired.
/// The windows are botocore's `_DEFAULT_ADVISORY_REFRESH_TIMEOUT` and `_DEFAULT_MANDATORY_REFRESH_TIMEOUT`
/// (https://github.com/boto/botocore/blob/develop/botocore/credentials.py).
public actor RefreshingCredentialsProvider: CredentialsProvider {
    /// Seconds before expiry from which a refresh is attempted but may fail.
    static let advisoryRefreshSeconds: TimeInterval = 15 * 60
    /// Seconds before expiry from which a refresh must succeed.
    static let mandatoryRefreshSeconds: TimeInterval = 10 * 60
    /// A source that has just answered is not asked again this soon while its answer is unexpired: credentials
    /// that start inside the windows (a 900 s role session, IMDS before it rotates) would otherwise cost an STS or
    /// IMDS call per request, and STS throttles.
    static let minimumRefreshInterval: TimeInterval = 60

    private let source: any CredentialsProvider
    private let now: @Sendable () -> Date
    private var cached: Credentials?
    private var fetchedAt: Date?
    private var refresh: Task<Credentials, any Error>?

    /// Wraps `source`; `now` is the clock that decides when to refresh.
    public init(_ source: any CredentialsProvider, now: @escaping @Sendable () -> Date = Date.init) {
        self.source = source
        self.now = now
    }

    /// The cached credentials while they are fresh, else the source's new ones.
    public func credentials() async throws -> Credentials {
        if let cached {
            guard let expiration = cached.expiration else { return cached }
            let remaining = expiration.timeIntervalSince(now())
            if remaining > Self.advisoryRefreshSeconds { return cached }
            if remaining > 0, let fetchedAt, now().timeIntervalSince(fetchedAt) < Self.minimumRefreshInterval {
                return cached
            }
            if remaining > Self.mandatoryRefreshSeconds {
                // Still valid for a while: never wait for a refresh someone else runs, never fail for one.
                if refresh != nil { return cached }
                return (try? await refreshed()) ?? cached
            }
        }
        return try await refreshed()
    }

    /// Joins the refresh under way or starts one; whoever sees it finish first stores the result.
    private func refreshed() async throws -> Credentials {
        let task: Task<Credentials, any Error>
        if let refresh {
            task = refresh
        } else {
            task = Task { [source] in try await source.credentials() }
            refresh = task
        }
        do {
            let fresh = try await task.value
            if refresh == task {
                refresh = nil
                cached = fresh
                fetchedAt = now()
            }
            return fresh
        } catch {
            if refresh == task { refresh = nil }
            throw error
        }
    }
}
