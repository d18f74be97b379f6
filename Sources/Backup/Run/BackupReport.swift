import Foundation
import Queue

/// The numbers of one backup run: what planning found, what the workers did, and whether the backup now
/// matches the source.
public struct BackupReport: Codable, Sendable {
    /// The run.
    public var run: RunID
    /// `s3://…` of the primary.
    public var source: String
    /// `s3://…` of the backup.
    public var backup: String
    /// Whether this run was an unfinished one picked up again.
    public var resumed: Bool
    /// What the listing and diff found before copying.
    public var plan: PlanFindings
    /// What the workers did.
    public var work: TaskOutcome
    /// Tasks by state at the end.
    public var tasks: [String: Int]
    /// Why deletes were refused, if they were.
    public var deletesRefused: String?
    /// Seconds from start to end.
    public var seconds: Double

    /// Tasks that failed on every attempt.
    public var deadTasks: Int { tasks[TaskState.dead.rawValue] ?? 0 }

    /// Whether the backup holds exactly the source as listed (deletes refused by the cap aside): every task of
    /// the run succeeded, and a copy task succeeds only when each of its copies was verified (or its source had
    /// gone), a delete task only when each key was deleted.
    public var matches: Bool {
        TaskState.allCases.allSatisfy { $0 == .succeeded || (tasks[$0.rawValue] ?? 0) == 0 }
    }

    /// How the run ended, from best to worst.
    public enum Verdict: String, Codable, Sendable {
        /// The backup matches the source.
        case success
        /// Deletes were refused (delete cap, empty source); everything else matches.
        case refused
        /// Some objects failed after every retry (`s3backup failed` names them).
        case partial
        /// Tasks are left undone (the workers stopped before the end): run the same command again.
        case mismatch
    }

    /// The verdict.
    public var verdict: Verdict {
        if deadTasks > 0 { return .partial }
        if !matches { return .mismatch }
        return deletesRefused == nil ? .success : .refused
    }

    /// A few lines for a person.
    public var text: String {
        func bytes(_ count: Int64) -> String { ByteCountFormatter.string(fromByteCount: count, countStyle: .binary) }
        var lines = [
            "run \(run)\(resumed ? " (resumed)" : ""): \(source) → \(backup) in \(String(format: "%.1f", seconds)) s: \(verdict.rawValue)",
            "  listed: source \(plan.sourceObjects) objects (\(bytes(plan.sourceBytes))), backup \(plan.backupObjects) objects (\(bytes(plan.backupBytes)))",
            "  planned: \(plan.missing) new, \(plan.changed) changed (\(bytes(plan.copyBytes))), \(plan.same) unchanged, \(plan.extra) to delete",
            "  done: \(work.copied) copied (\(bytes(work.copiedBytes)); \(work.serverSide) server-side, \(work.streamed) streamed, "
                + "\(work.multipart) part for part), \(work.deleted) deleted, \(work.vanished) vanished from the source, "
                + "\(work.alreadyPresent) already there",
            "  verified: \(work.verifiedByETag) by ETag, \(work.verifiedBySize) by size",
        ]
        if let refusal = deletesRefused { lines.append("  \(refusal)") }
        if deadTasks > 0 { lines.append("  \(deadTasks) task(s) failed on every attempt: see `s3backup failed --run \(run)`") }
        return lines.joined(separator: "\n")
    }
}
