import Failures
import Queue

/// Failures of the backup logic itself (S3 and queue failures keep their own types).
public enum BackupError: CategorizedError, Sendable, CustomStringConvertible {
    /// Another planner holds the run's planning lease.
    case plannerBusy(run: RunID, holder: String)
    /// A unit of the run was never planned.
    case incompletePlan(run: RunID, unit: String)
    /// A run's stored parameters cannot be read.
    case badParameters(run: RunID, reason: String)
    /// A task's payload cannot be read.
    case badPayload(task: TaskID, reason: String)
    /// The two locations of a run share keys: one is the other, or inside it.
    case overlappingLocations(String)
    /// A listing answered a key outside the prefix it was asked for (a broken or hostile server).
    case keyOutsidePrefix(bucket: String, prefix: String, key: String)
    /// The backup bucket keeps no versions, so an overwrite or a delete would lose the only copy.
    case unversionedBackup(bucket: String, status: String)
    /// The run asked for is not in the queue, or cannot be cancelled in its state.
    case cannotCancel(run: RunID, reason: String)
    /// A report was asked of a queue that holds no backup run.
    case noBackupRun(queue: String)

    /// Overlapping locations and a run that cannot be cancelled are mistakes of the command line; an unversioned
    /// backup is a setting to fix; the rest are failures.
    public var category: FailureCategory {
        switch self {
        case .overlappingLocations, .cannotCancel, .noBackupRun: .usage
        case .unversionedBackup: .configuration
        case .plannerBusy, .incompletePlan, .badParameters, .badPayload, .keyOutsidePrefix: .failed
        }
    }

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
        case .overlappingLocations(let why):
            why
        case .keyOutsidePrefix(let bucket, let prefix, let key):
            "listing s3://\(bucket) under \(prefix.debugDescription) answered the key \(key.debugDescription), which is outside "
                + "that prefix; nothing was planned from it (is the endpoint a faithful S3 implementation, reached over https?)"
        case .unversionedBackup(let bucket, let status):
            "the backup bucket \(bucket) keeps no versions (versioning is \(status)): an overwrite or a delete there would lose the only copy; "
                + "run `s3backup setup` to turn versioning on (or pass --allow-unversioned to back up into it anyway)"
        case .cannotCancel(let run, let reason):
            "run \(run) cannot be cancelled: \(reason)"
        case .noBackupRun(let queue):
            "there is no backup run in \(queue)"
        }
    }
}
