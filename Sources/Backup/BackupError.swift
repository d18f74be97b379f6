import Queue

/// Failures of the backup logic itself (S3 and queue failures keep their own types).
public enum BackupError: Error, Sendable, CustomStringConvertible {
    /// Another planner holds the run's planning lease.
    case plannerBusy(run: RunID, holder: String)
    /// A unit of the run was never planned.
    case incompletePlan(run: RunID, unit: String)
    /// A run's stored parameters cannot be read.
    case badParameters(run: RunID, reason: String)
    /// A task's payload cannot be read.
    case badPayload(task: TaskID, reason: String)

    /// One line with what to do.
    public var description: String {
        switch self {
        case .plannerBusy(let run, let holder):
            "run \(run) is being planned by \(holder); a second planner is refused (if it died elsewhere, its lease "
                + "expires within a minute and the same command then takes over)"
        case .incompletePlan(let run, let unit):
            "run \(run): unit \(unit) was not planned; run the same command again to resume planning"
        case .badParameters(let run, let reason):
            "run \(run): its stored parameters cannot be read (\(reason)); was it written by another version?"
        case .badPayload(let task, let reason):
            "task \(task): its payload cannot be read (\(reason))"
        }
    }
}
