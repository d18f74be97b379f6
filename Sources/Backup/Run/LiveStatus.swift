import Foundation
import Queue

/// One look at a run going on, for `status --watch`: its prefixes planned, its tasks by state, how much its finished
/// tasks moved, who holds what, the fleet's throttle, its dead tasks. Two looks make the rate "now".
public struct LiveStatus: Sendable {
    /// The run.
    public var run: RunSummary
    /// Its progress, with the objects and bytes its finished tasks moved.
    public var progress: RunProgress
    /// Prefixes not planned yet.
    public var listing: [String]
    /// What workers hold.
    public var held: [HeldTask]
    /// The fleet's throttle level now (0: no backoff).
    public var throttle: Int
    /// The run's dead tasks.
    public var dead: [DeadTask]
    /// When the look was taken.
    public var at: Date

    /// A look at `run` in `queue`.
    public static func look(at run: RunSummary, in queue: any TaskQueue, now: Date = Date()) async throws -> LiveStatus {
        let units = try await queue.units(run: run.id)
        return LiveStatus(run: run, progress: try await RunProgress.of(run.id, in: queue, counting: true),
                          listing: units.filter { $0.summary == nil }.map(\.unit), held: try await queue.held(run: run.id),
                          throttle: try await queue.throttle()?.level(at: now) ?? 0, dead: try await queue.deadTasks(run: run.id), at: now)
    }

    /// The run `status --watch` follows: `requested`, else the newest one still planning or running, else the newest.
    public static func followed(_ requested: RunID?, in queue: any TaskQueue) async throws -> RunSummary? {
        let runs = try await queue.runs(limit: 1_000)
        if let requested { return runs.first { $0.id == requested } }
        return runs.first { [.planning, .running].contains($0.state) } ?? runs.first
    }

    /// The screen: a line each, none wider than `width` columns; `previous`, an earlier look at the same run, gives the
    /// rates of the last interval.
    public func lines(previous: LiveStatus?, width: Int = 100) -> [String] {
        let run = self.run, progress = self.progress
        let when = { (date: Date) in date.formatted(Date.ISO8601FormatStyle().time(includingFractionalSeconds: false)) }
        var lines = ["run \(run.id)  \(run.kind)  \(run.source) → \(run.destination)  \(run.state.rawValue)  (at \(when(at)), Ctrl-C quits)"]
        lines.append("planning: \(progress.plannedUnits)/\(progress.units) prefixes planned"
            + (listing.isEmpty ? "" : "; listing " + listing.prefix(4).joined(separator: ", ") + (listing.count > 4 ? ", …" : "")))
        lines.append("tasks: " + TaskState.allCases.map { "\(progress.byState[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
            + " (\(progress.doneTasks)/\(progress.tasks) done)")
        let elapsed = max(at.timeIntervalSince(progress.createdAt), 0.001)
        var rate = "rate: average \(String(format: "%.1f", Double(progress.objects) / elapsed)) objects/s, "
            + ByteCount.rate(Double(progress.bytes) / elapsed)
        if let previous, previous.run.id == run.id, at > previous.at {
            let span = at.timeIntervalSince(previous.at)
            let objects = Double(progress.objects - previous.progress.objects) / span
            rate = "rate: now \(String(format: "%.1f", objects)) objects/s, "
                + ByteCount.rate(Double(progress.bytes - previous.progress.bytes) / span) + " · " + rate.dropFirst("rate: ".count)
        }
        let tasksPerSecond = Double(progress.doneTasks) / elapsed
        if listing.isEmpty, tasksPerSecond > 0, progress.doneTasks < progress.tasks {
            rate += " · ETA " + History.duration(Double(progress.tasks - progress.doneTasks) / tasksPerSecond)
        }
        lines.append(rate)
        lines.append("fleet throttle: level \(throttle)" + (throttle == 0 ? " (no backoff)" : " (S3 said SlowDown: every process paces its requests)"))
        let workers = Dictionary(grouping: held, by: \.owner)
        lines.append("workers: \(workers.count) holding \(held.count) task(s)")
        for owner in workers.keys.sorted() {
            let tasks = workers[owner]!
            let parts = owner.split(separator: ":")
            let oldest = tasks.compactMap(\.claimedAt).min()
            lines.append("  \(parts.dropLast().joined(separator: ":")) pid \(parts.last ?? "?"): "
                + tasks.prefix(6).map { "task \($0.task) (\($0.kind), attempt \($0.attempt))" }.joined(separator: ", ")
                + (tasks.count > 6 ? ", …" : "") + (oldest.map { " since \(when($0))" } ?? ""))
        }
        let seen = Set(previous?.dead.map(\.id) ?? dead.map(\.id))
        lines.append("dead: \(dead.count)")
        for task in dead.suffix(5) {
            lines.append("  \(seen.contains(task.id) ? "" : "new: ")task \(task.id) (\(task.kind), \(task.attempts) attempts): "
                + (task.lastError ?? "no error recorded"))
        }
        return lines.map { line in line.count > width ? String(line.prefix(width - 1)) + "…" : line }
    }
}
