import Foundation

/// A run's id.
public typealias RunID = Int64
/// A task's id.
public typealias TaskID = Int64

/// A run's life: planned, worked, finished (or cancelled by an operator).
public enum RunState: String, Sendable, Codable, CaseIterable {
    /// The planner is still enqueueing tasks.
    case planning
    /// All tasks are enqueued; workers are on it.
    case running
    /// Every task succeeded or is dead; the report can be made.
    case finished
    /// Stopped by an operator.
    case cancelled
}

/// A task's life: ready → running → succeeded, or back to ready for a retry, or dead after its last attempt.
public enum TaskState: String, Sendable, Codable, CaseIterable {
    /// Waiting to be claimed (possibly not before its backoff time).
    case ready
    /// Leased by a worker.
    case running
    /// Done.
    case succeeded
    /// Failed on every attempt; kept for `s3backup failed` and `retry`.
    case dead
}

/// A task to enqueue.
public struct NewTask: Sendable, Equatable {
    /// What kind of work (`copy`, `delete`, …).
    public var kind: String
    /// Unique within its run: enqueueing the same key again does nothing.
    public var uniqueKey: String
    /// The work, opaque to the queue.
    public var payload: [UInt8]
    /// Attempts before the task is dead.
    public var maxAttempts: Int
    /// The part of the run's plan the task came from, if the planner splits its work.
    public var unit: String?

    /// A task.
    public init(kind: String, uniqueKey: String, payload: [UInt8], maxAttempts: Int = 5, unit: String? = nil) {
        precondition(maxAttempts >= 1, "a task needs at least one attempt")
        self.kind = kind
        self.uniqueKey = uniqueKey
        self.payload = payload
        self.maxAttempts = maxAttempts
        self.unit = unit
    }
}

/// Proof of holding a task: its id, the worker, and the fencing token of this claim.
public struct Lease: Sendable, Hashable {
    /// The task.
    public let task: TaskID
    /// The worker that claimed it.
    public let owner: String
    /// Increases at every claim of the task; a lease with an older token is stale.
    public let token: Int64
}

/// A task a worker has claimed.
public struct ClaimedTask: Sendable {
    /// The lease to renew, complete or fail with.
    public let lease: Lease
    /// The task's run.
    public let run: RunID
    /// The kind of work.
    public let kind: String
    /// The work.
    public let payload: [UInt8]
    /// This attempt's number in the task's current round, from 1.
    public let attempt: Int
    /// The current round's last attempt's number.
    public let maxAttempts: Int
    /// Attempts of earlier rounds (before a `retry`): with `attempt`, every attempt the task has had.
    public let earlierAttempts: Int
}

/// A run as the operator views show it.
public struct RunSummary: Sendable, Codable, Equatable {
    /// The run.
    public var id: RunID
    /// `backup`, `restore`, `verify`.
    public var kind: String
    /// Where it reads.
    public var source: String
    /// Where it writes.
    public var destination: String
    /// Its state.
    public var state: RunState
    /// Why it is as it is, if anything was noted.
    public var note: String?
    /// When it was created.
    public var createdAt: Date
    /// When it finished.
    public var finishedAt: Date?
    /// Tasks by state (every state present, zeros included).
    public var tasks: [String: Int]
    /// Age in seconds of the oldest task that is due and unclaimed; nil when none waits.
    public var oldestReadySeconds: Double?
    /// Tasks finished per minute over the last five minutes.
    public var tasksPerMinute: Double
    /// Attempts beyond each task's first, over every round (`retry` keeps them): the retries the run took.
    public var retries: Int = 0
    /// S3 requests of the run's tasks that failed and were tried again, whatever became of their tasks.
    public var requestRetries: Int = 0
    /// Of the request retries, those S3 throttled (SlowDown).
    public var throttledRequests: Int = 0
    /// Its tasks parked to wait for archived objects S3 is retrieving.
    public var waiting = Waiting()
}

/// A dead task and what is known of why.
public struct DeadTask: Sendable, Codable, Equatable {
    /// An object (or other subject) that failed in the task's last attempt to record failures, once.
    public struct Failure: Sendable, Codable, Equatable {
        /// The object key (or other subject) that failed.
        public var subject: String
        /// Its last error.
        public var error: String
        /// The attempts, over every round, in which it failed.
        public var attempts: Int

        /// A failure of `subject` in `attempts` attempts, the last with `error`.
        public init(subject: String, error: String, attempts: Int = 1) {
            self.subject = subject
            self.error = error
            self.attempts = attempts
        }
    }

    /// The task.
    public var id: TaskID
    /// Its run.
    public var run: RunID
    /// Its kind.
    public var kind: String
    /// Attempts made, over every round (`retry` starts a new round).
    public var attempts: Int
    /// The last error.
    public var lastError: String?
    /// When it died.
    public var finishedAt: Date?
    /// The objects that failed in the last attempt that recorded failures, each once, in the order first recorded.
    public var failures: [Failure]
}

/// Timing rules for leases and retries.
public struct QueueSettings: Sendable {
    /// How long a claim lasts without a heartbeat.
    public var leaseDuration: Duration = .seconds(60)
    /// First retry delay after a failure; doubles per attempt.
    public var retryBase: Duration = .seconds(2)
    /// The longest retry delay.
    public var retryCap: Duration = .seconds(600)
    /// Waiting for another process's write lock gives up after this long.
    public var busyTimeout: Duration = .seconds(30)
    /// A PostgreSQL queue that lost its server keeps reconnecting, with backoff, for this long before it fails:
    /// long enough for a restart or a failover to a standby.
    public var reconnectWithin: Duration = .seconds(300)
    /// Hears what a queue rides out (a PostgreSQL connection lost, and when it is back).
    public var log: @Sendable (String) -> Void = { _ in }

    /// The defaults above.
    public init() {}

    /// The delay before attempt `attempt + 1` after attempt `attempt` failed: exponential with "equal jitter"
    /// (half fixed, half random), so a retry never comes at once yet a crowd of failures spreads out.
    /// `random` is in [0, 1).
    public func retryDelay(afterAttempt attempt: Int, random: Double) -> Duration {
        precondition(attempt >= 1 && (0..<1).contains(random), "attempt is 1-based, random in [0, 1)")
        let exponential = min(retryBase * Double(1 << min(attempt - 1, 30)), retryCap)
        return exponential / 2 + exponential / 2 * random
    }
}

/// A run as stored: what workers need to know to do its tasks.
public struct RunRecord: Sendable, Equatable {
    /// The run.
    public var id: RunID
    /// `backup`, `restore`, `verify`.
    public var kind: String
    /// Where it reads.
    public var source: String
    /// Where it writes.
    public var destination: String
    /// The options it was started with (JSON).
    public var parameters: String
    /// Its state.
    public var state: RunState
    /// Why it is as it is.
    public var note: String?
}

/// One object of a source/backup pair as s3backup copied it (or proved equal and adopted): the source as listed
/// then and the copy that produced. The catalog of these rows is the identity of objects that holds whatever
/// encryption or part layout made the two ETags differ.
public struct CatalogEntry: Sendable, Equatable {
    /// How a pair came to be known equal.
    public enum Rule: String, Sendable {
        /// s3backup copied it.
        case copied
        /// Found equal by full-object checksums (one HeadObject per side) and adopted.
        case checksum
    }

    /// The source and backup locations, `source -> backup`.
    public var pair: String
    /// The key, relative to both prefixes.
    public var key: String
    /// The object's size, equal on both sides.
    public var size: Int64
    /// The source's ETag value (without quotes).
    public var sourceETag: String
    /// The source version copied, where the source is versioned.
    public var sourceVersion: String?
    /// The source's full-object checksum as `ALGORITHM:base64`, when S3 told it.
    public var sourceChecksum: String?
    /// The copy's ETag value (without quotes).
    public var backupETag: String
    /// The version the copy made, where the backup is versioned.
    public var backupVersion: String?
    /// How the pair was known equal.
    public var rule: Rule
    /// The retain-until date the backup version was locked to; nil where none is known.
    public var retainUntil: Date?

    /// An entry.
    public init(pair: String, key: String, size: Int64, sourceETag: String, sourceVersion: String? = nil,
                sourceChecksum: String? = nil, backupETag: String, backupVersion: String? = nil, rule: Rule = .copied,
                retainUntil: Date? = nil) {
        self.retainUntil = retainUntil
        self.pair = pair
        self.key = key
        self.size = size
        self.sourceETag = sourceETag
        self.sourceVersion = sourceVersion
        self.sourceChecksum = sourceChecksum
        self.backupETag = backupETag
        self.backupVersion = backupVersion
        self.rule = rule
    }

    /// Whether the source still lists as it was copied.
    public func sourceMatches(size: Int64, etag: String) -> Bool { self.size == size && sourceETag == etag }

    /// Whether both sides still list exactly as recorded.
    public func matches(size: Int64, source: String, backup: String) -> Bool {
        sourceMatches(size: size, etag: source) && backupETag == backup
    }
}

/// What the end of one task changes in a pair's catalog: the objects it copied or adopted, the keys it deleted.
public struct CatalogChanges: Sendable, Equatable {
    /// The pair, `source -> backup`.
    public var pair: String
    /// Rows written (replacing the keys' earlier rows).
    public var recorded: [CatalogEntry]
    /// Keys whose rows go: the backup no longer holds them.
    public var removed: [String]
    /// Locks extended: a row's retain-until grows to the one given, if the row still holds that backup version.
    public var extended: [Extension]
    /// Delete markers placed in the backup, each its key and the marker's version id.
    public var markers: [(key: String, version: String)]

    /// One version's lock, extended.
    public struct Extension: Sendable, Equatable {
        /// The key.
        public var key: String
        /// The backup version locked.
        public var backupVersion: String?
        /// Its new retain-until date.
        public var retainUntil: Date

        /// An extension.
        public init(key: String, backupVersion: String?, retainUntil: Date) {
            self.key = key
            self.backupVersion = backupVersion
            self.retainUntil = retainUntil
        }
    }

    /// Changes to `pair`'s catalog.
    public init(pair: String, recorded: [CatalogEntry] = [], removed: [String] = [], extended: [Extension] = [],
                markers: [(key: String, version: String)] = []) {
        precondition(recorded.allSatisfy { $0.pair == pair }, "rows of the pair changed")
        self.pair = pair
        self.recorded = recorded
        self.removed = removed
        self.extended = extended
        self.markers = markers
    }

    /// Nothing changes.
    public var isEmpty: Bool { recorded.isEmpty && removed.isEmpty && extended.isEmpty && markers.isEmpty }

    /// Equal changes.
    public static func == (left: CatalogChanges, right: CatalogChanges) -> Bool {
        left.pair == right.pair && left.recorded == right.recorded && left.removed == right.removed && left.extended == right.extended
            && left.markers.elementsEqual(right.markers) { $0.key == $1.key && $0.version == $1.version }
    }
}

/// Tasks parked to wait for S3 (archived objects being retrieved): claimed again when due, holding no lease meanwhile.
public struct Waiting: Codable, Sendable, Equatable {
    /// Parked tasks.
    public var tasks = 0
    /// Objects they wait for.
    public var objects = 0
    /// When the first of them is checked again; nil when none waits.
    public var nextCheck: Date?

    /// Nothing waits.
    public init(tasks: Int = 0, objects: Int = 0, nextCheck: Date? = nil) {
        self.tasks = tasks
        self.objects = objects
        self.nextCheck = nextCheck
    }
}

/// S3 requests made for a run since they were last added to it: every attempt by operation, and the retries.
public struct RequestCounts: Sendable, Equatable {
    /// Attempts sent, by S3 operation (`GetObject`), retries included: what S3 bills.
    public var sent: [String: Int] = [:]
    /// Attempts that failed and were tried again.
    public var retries = 0
    /// Of the failed attempts, those S3 throttled (SlowDown, 503/429 throttles).
    public var throttled = 0

    /// Counts.
    public init(sent: [String: Int] = [:], retries: Int = 0, throttled: Int = 0) {
        precondition(retries >= 0 && throttled >= 0 && sent.values.allSatisfy { $0 >= 0 }, "counts only grow")
        self.sent = sent
        self.retries = retries
        self.throttled = throttled
    }

    /// Nothing was counted.
    public var isEmpty: Bool { retries == 0 && throttled == 0 && sent.values.allSatisfy { $0 == 0 } }

    /// Adds `other`'s counts.
    public mutating func add(_ other: RequestCounts) {
        sent.merge(other.sent, uniquingKeysWith: +)
        retries += other.retries
        throttled += other.throttled
    }
}

/// A task a worker holds now: who, since when, and how fresh its lease is.
public struct HeldTask: Sendable, Codable, Equatable {
    /// The task and its run.
    public var task: TaskID, run: RunID
    /// What kind of work.
    public var kind: String
    /// The worker holding it (`host:pid`).
    public var owner: String
    /// This attempt's number in the task's current round.
    public var attempt: Int
    /// When this claim was made (nil for a claim made before schema 8, or 2 on PostgreSQL).
    public var claimedAt: Date?
    /// The worker's last heartbeat for it, and when its lease runs out without another.
    public var heartbeatAt: Date?, expiresAt: Date
}
