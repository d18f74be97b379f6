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
    /// Both buckets listed again after the run, when asked for (`s3backup report`).
    public var verification: Verification?
    /// When the run was created.
    public var startedAt: Date?
    /// Attempts beyond each task's first.
    public var retries = 0
    /// When each task finished and what it moved: throughput over the run.
    public var timeline: [TimelinePoint] = []
    /// What planning found per unit (prefix) of the key space.
    public var units: [UnitWork] = []
    /// Tasks that failed on every attempt, with the objects that failed in them.
    public var failures: [DeadTask] = []

    /// One finished task on the run's timeline.
    public struct TimelinePoint: Codable, Sendable, Equatable {
        /// When it finished.
        public var at: Date
        /// Objects it copied or deleted.
        public var objects: Int
        /// Bytes it copied.
        public var bytes: Int64
    }

    /// A unit's share of the work.
    public struct UnitWork: Codable, Sendable, Equatable {
        /// `deep:PREFIX` or `flat:PREFIX`.
        public var unit: String
        /// What planning found in it.
        public var findings: PlanFindings
    }

    /// The primary and the backup compared after a run: what the seed's operators checked by hand.
    public struct Verification: Codable, Sendable, Equatable {
        /// Objects and bytes in the primary now.
        public var sourceObjects: Int, sourceBytes: Int64
        /// Objects and bytes in the backup now.
        public var backupObjects: Int, backupBytes: Int64
        /// Objects the backup lacks or holds in another version.
        public var missing: Int, changed: Int
        /// Objects only the backup holds.
        public var extra: Int
        /// Of the missing and changed, those written to the primary since the run started: explained.
        public var writtenDuringRun: Int
        /// Differences nothing explains: not written during the run, not kept by a refused delete.
        public var unexplained: Int

        init(_ findings: PlanFindings, deletesRefused: Bool) {
            sourceObjects = findings.sourceObjects
            sourceBytes = findings.sourceBytes
            backupObjects = findings.backupObjects
            backupBytes = findings.backupBytes
            missing = findings.missing
            changed = findings.changed
            extra = findings.extra
            writtenDuringRun = findings.recent
            unexplained = findings.missing + findings.changed - findings.recent + (deletesRefused ? 0 : findings.extra)
        }
    }

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
        if !matches || (verification?.unexplained ?? 0) > 0 { return .mismatch }
        return deletesRefused == nil ? .success : .refused
    }

    /// A few lines for a person.
    public var text: String {
        func bytes(_ count: Int64) -> String { ByteCountFormatter.string(fromByteCount: count, countStyle: .binary) }
        var lines = [
            "run \(run)\(resumed ? " (resumed)" : ""): \(source) → \(backup) in \(String(format: "%.1f", seconds)) s: \(verdict.rawValue)",
            "  listed: source \(plan.sourceObjects) objects (\(bytes(plan.sourceBytes))), backup \(plan.backupObjects) objects (\(bytes(plan.backupBytes)))",
            "  planned: \(plan.missing) new, \(plan.changed) changed (\(bytes(plan.copyBytes))), \(plan.same) unchanged, \(plan.extra) to delete",
            "  rules: copy when missing (\(plan.missing)), when the size differs (\(plan.changedSize)), when the size is equal "
                + "but the ETag differs (\(plan.changed - plan.changedSize)); skip when size and ETag are equal "
                + "(\(plan.same - plan.sameByRecord)) or are a recorded relayout's pair (\(plan.sameByRecord)); "
                + "delete when only in the backup (\(plan.extra))",
            "  done: \(work.copied) copied (\(bytes(work.copiedBytes)); \(work.serverSide) server-side, \(work.streamed) streamed, "
                + "\(work.multipart) part for part, \(work.relayouts) with another part layout), \(work.deleted) deleted, \(work.vanished) vanished from the source, "
                + "\(work.alreadyPresent) already there",
            "  verified: \(work.verifiedByETag) by ETag, \(work.verifiedBySize) by size; \(retries) task retries, "
                + "\(work.requestRetries) request retries (\(work.throttled) throttled); "
                + String(format: "%.1f objects/s, %.2f MiB/s", Double(work.copied + work.deleted) / max(seconds, 0.001),
                         Double(work.copiedBytes) / max(seconds, 0.001) / 1_048_576),
        ]
        if let refusal = deletesRefused { lines.append("  \(refusal)") }
        if deadTasks > 0 { lines.append("  \(deadTasks) task(s) failed on every attempt: see `s3backup failed --run \(run)`") }
        if let check = verification {
            lines.append("  now: primary \(check.sourceObjects) objects (\(bytes(check.sourceBytes))), backup \(check.backupObjects) "
                + "objects (\(bytes(check.backupBytes))); \(check.missing) missing, \(check.changed) different, \(check.extra) extra "
                + "in the backup; \(check.writtenDuringRun) written to the primary since the run began; \(check.unexplained) unexplained")
        }
        return lines.joined(separator: "\n")
    }
}

extension BackupReport {
    /// The report of `run` from what the queue kept: the plan's findings, the tasks' results and states.
    public static func load(queue: any TaskQueue, run: RunID, resumed: Bool = false) async throws -> BackupReport {
        let record = try await queue.run(run)
        var findings = PlanFindings()
        for unit in try await queue.units(run: run) {
            if let summary = unit.summary { findings.add(try Payload.decode(PlanFindings.self, Array(summary.utf8))) }
        }
        var work = TaskOutcome()
        var timeline: [TimelinePoint] = []
        for (finishedAt, result) in try await queue.results(run: run) {
            let outcome = try Payload.decode(TaskOutcome.self, result)
            work.add(outcome)
            timeline.append(TimelinePoint(at: finishedAt, objects: outcome.copied + outcome.deleted, bytes: outcome.copiedBytes))
        }
        let summary = try await queue.runs(limit: Int.max).first { $0.id == run }
        let seconds = (summary?.finishedAt ?? Date()).timeIntervalSince(summary?.createdAt ?? Date())
        var report = BackupReport(run: run, source: record.source, backup: record.destination, resumed: resumed, plan: findings,
                                  work: work, tasks: summary?.tasks ?? [:], deletesRefused: record.note, seconds: seconds)
        report.startedAt = summary?.createdAt
        report.retries = summary?.retries ?? 0
        report.timeline = timeline
        report.units = try await queue.units(run: run).compactMap { unit in
            guard let summary = unit.summary else { return nil }
            return UnitWork(unit: unit.unit, findings: try Payload.decode(PlanFindings.self, Array(summary.utf8)))
        }
        report.failures = try await queue.deadTasks(run: run)
        return report
    }

    /// Lists both buckets again with `planner` and records how they compare, counting objects written to the
    /// primary since `since` (the run's start) as explained.
    public mutating func verify(with planner: Planner, since: Date) async throws {
        var planner = planner
        // S3's LastModified has whole seconds: an object written in the run's first second counts as during the run.
        let second = Date(timeIntervalSince1970: since.timeIntervalSince1970.rounded(.down))
        planner.recentSince = S3Time.string(second)
        let findings = try await planner.planAll(into: PreviewSink(sampleSize: 0))
        // Extra objects are explained when deletes were refused, or when the run does not delete (a restore).
        verification = Verification(findings, deletesRefused: deletesRefused != nil || !planner.parameters.mirrorDeletes)
    }
}
