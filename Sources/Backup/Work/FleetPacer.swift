import Foundation
import Queue
import S3

/// One process's side of the fleet-wide backoff: counts its clients' retries, raises the queue's shared
/// throttle when S3 throttles a real share of this process's requests, and spaces this process's requests out
/// by the level in force, which it re-reads from the queue at most every `refreshInterval`. So throttling told
/// to one worker slows every worker on the queue, and all of them speed up again as the level decays.
///
/// A stray SlowDown is the single request's business (the client retries it with backoff); the fleet slows
/// down when, within one `window`, at least `minimumThrottles` attempts and `throttledShare` of them were
/// throttled. Slowing the fleet for every stray SlowDown would settle, under a steady few percent of them, at
/// the slowest level whatever the request rate.
public final class FleetPacer: RequestObserver {
    /// What the clients did since the counts were last taken.
    public struct Counts: Sendable, Equatable {
        /// Attempts that failed and were tried again.
        public var retries = 0
        /// Attempts S3 answered with a throttling error (SlowDown, 503/429 throttles).
        public var throttled = 0
    }

    /// The span over which the share of throttled attempts is measured.
    static let window: Duration = .seconds(1)
    /// The least number of throttled attempts in a window that raises the level.
    static let minimumThrottles = 3
    /// The least share of a window's attempts throttled that raises the level.
    static let throttledShare = 0.25

    private struct State {
        var counts = Counts()
        var windowStart: ContinuousClock.Instant
        var windowAttempts = 0
        var windowThrottled = 0
        var level = 0
        var refreshedAt: ContinuousClock.Instant
        var refreshing = false
        var raising = false
        var nextStart: ContinuousClock.Instant

        init(now: ContinuousClock.Instant) {
            windowStart = now
            refreshedAt = now - .seconds(3600)
            nextStart = now
        }

        /// Starts a new measuring window at `now` when the current one is over.
        mutating func rollWindow(now: ContinuousClock.Instant) {
            guard now - windowStart >= FleetPacer.window else { return }
            windowStart = now
            windowAttempts = 0
            windowThrottled = 0
        }
    }

    private let queue: any TaskQueue
    private let log: @Sendable (String) -> Void
    private let refreshInterval: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let sleep: @Sendable (ContinuousClock.Instant) async throws -> Void
    private let state: LockedBox<State>

    /// A pacer sharing its backoff through `queue`, timing windows, refreshes and request slots by `clock` (the
    /// fleet's level itself is read at the wall clock's time, as every host shares it); `log` hears when the level
    /// changes.
    public init<C: Clock>(queue: any TaskQueue, refreshInterval: Duration = .milliseconds(250), clock: C = ContinuousClock(),
                          log: @escaping @Sendable (String) -> Void) where C.Instant == ContinuousClock.Instant {
        self.queue = queue
        self.refreshInterval = refreshInterval
        self.log = log
        now = { clock.now }
        sleep = { try await clock.sleep(until: $0, tolerance: nil) }
        state = LockedBox(State(now: clock.now))
    }

    /// The level this process last read.
    var level: Int { state.value.level }

    /// Takes the counts gathered since the last call.
    public func takeCounts() -> Counts {
        state.mutate { state in
            defer { state.counts = Counts() }
            return state.counts
        }
    }

    /// Waits for this process's next request slot at the level in force, whatever the operation.
    public func beforeAttempt(_ operation: String) async {
        await refreshIfDue()
        let now = self.now()
        let start: ContinuousClock.Instant = state.mutate { state in
            state.rollWindow(now: now)
            state.windowAttempts += 1
            let interval = FleetThrottle.interval(level: state.level)
            let start = max(now, state.nextStart)
            state.nextStart = start + interval
            return start
        }
        if start > now { try? await sleep(start) }
    }

    /// Counts the failure; a throttle raises the fleet's level (one raise in flight at a time).
    public func attemptFailed(_ error: S3Error, verdict: RetryClassifier.Verdict, willRetry: Bool) {
        let now = self.now()
        let raise = state.mutate { state in
            if willRetry { state.counts.retries += 1 }
            guard verdict == .throttled else { return false }
            state.counts.throttled += 1
            state.rollWindow(now: now)
            state.windowThrottled += 1
            guard state.windowThrottled >= Self.minimumThrottles,
                  Double(state.windowThrottled) >= Self.throttledShare * Double(max(state.windowAttempts, 1)),
                  !state.raising else { return false }
            state.raising = true
            return true
        }
        guard raise else { return }
        Task { [queue] in
            let raised = try? await queue.raiseThrottle()
            self.state.mutate { $0.raising = false }
            if let raised { self.adopt(raised.level(at: Date())) }
        }
    }

    private func refreshIfDue() async {
        let now = self.now()
        let due = state.mutate { state in
            guard !state.refreshing, now - state.refreshedAt >= refreshInterval else { return false }
            state.refreshing = true
            return true
        }
        guard due else { return }
        defer {
            let now = self.now()
            state.mutate {
                $0.refreshing = false
                $0.refreshedAt = now
            }
        }
        // A queue that cannot be read keeps the level last read; the next refresh tries again.
        do { adopt(try await queue.throttle()?.level(at: Date()) ?? 0) } catch {}
    }

    private func adopt(_ level: Int) {
        let previous = state.mutate { state in
            defer { state.level = level }
            return state.level
        }
        if level > 0, previous == 0 {
            log("S3 is throttling (SlowDown): every worker on this queue now spaces its requests "
                + "\(FleetThrottle.interval(level: level)) apart, and further apart while it lasts")
        } else if level == 0, previous > 0 {
            log("throttling has stopped: requests go at full speed again")
        }
    }
}

