import ArgumentParser
import Backup
import Failures

/// The exit statuses, documented in the README and `--help`, so cron and systemd can act on them.
enum ExitStatus: Int32, CaseIterable {
    /// Everything worked.
    case success = 0
    /// The operation failed (S3 refused it, or an object could not be read or written), or the backup does not
    /// match the primary after the run.
    case failure = 1
    /// Some objects failed after every retry, or archived ones were left uncopied; the rest of the backup is done
    /// (`s3backup failed` and the report name them).
    case partial = 2
    /// Deletes were refused: a delete cap (per run or over several nights), or a primary that lists empty.
    case refused = 3
    /// The run succeeded but its report could not be mailed.
    case mailFailed = 4
    /// The run was stopped (SIGTERM, SIGINT) before it finished; the next `run` finishes it.
    case stopped = 5
    /// The command line was malformed (ArgumentParser's own status), its locations overlap, or it names a run that
    /// cannot be cancelled.
    case usage = 64
    /// `restore --no-wait` left archived objects that S3 is still retrieving (EX_TEMPFAIL): the same command later
    /// copies them.
    case pending = 75
    /// The endpoint could not be reached.
    case unavailable = 69
    /// The credentials were refused or lack permission.
    case permission = 77
    /// Settings are missing or wrong: credentials, profile, region, endpoint, an s3:// URL, a bucket that does not
    /// exist, a backup without versioning, the config file (a value it or the environment gives that the command
    /// refuses, too), the log directory, the queue's location.
    case configuration = 78

    /// What every command can return: success, a failure, a bad command line, a bad setting or config file.
    static let everyCommand: [ExitStatus] = [.success, .failure, .usage, .configuration]
    /// What talking to S3 adds: an endpoint that cannot be reached, credentials that are refused.
    static let reachingS3: [ExitStatus] = [.unavailable, .permission]

    /// The status's line in `--help`: short enough for an 80-column terminal, so no entry is wrapped.
    var summary: String {
        switch self {
        case .success: "success"
        case .failure: "failed (the error line says why)"
        case .partial: "partial: some objects failed on every retry (s3backup failed names them)"
        case .refused: "deletes refused: over a delete cap, or the primary listed empty"
        case .mailFailed: "succeeded, but the report could not be mailed"
        case .stopped: "stopped by SIGTERM or SIGINT; the same command again finishes the run"
        case .usage: "bad command line, overlapping locations, a run that cannot be cancelled"
        case .pending: "archived objects still being retrieved (--no-wait); run it again later"
        case .unavailable: "the endpoint could not be reached"
        case .permission: "credentials refused or not permitted"
        case .configuration: "configuration error: settings, credentials, bucket, config file, paths"
        }
    }

    /// The `--help` paragraph for a command that can return `statuses`: one status to a line, in order.
    static func helpText(for statuses: [ExitStatus]) -> String {
        let listed = Set(statuses).sorted { $0.rawValue < $1.rawValue }
        return (["Exit status:"] + listed.map { status in
            let code = String(status.rawValue)
            return "  " + code + String(repeating: " ", count: 4 - code.count) + status.summary
        }).joined(separator: "\n")
    }

    /// The paragraph for `--help` with every status (the root command's; `restore` can return them all, `run` all
    /// but `pending`).
    static let helpText = helpText(for: allCases)

    /// The status of a finished run whose report was (or was not) mailed: a mail failure shows only when
    /// nothing worse happened, and never hides the run's own result.
    static func of(_ report: BackupReport, mailed: Bool) -> ExitStatus {
        guard let failure = report.failure else { return mailed ? .success : .mailFailed }
        return of(failure)
    }

    /// The one table from what failed to the status that says it.
    static func of(_ category: FailureCategory) -> ExitStatus {
        switch category {
        case .usage: .usage
        case .configuration: .configuration
        case .credentials: .permission
        case .unreachable: .unavailable
        case .failed: .failure
        case .partial: .partial
        case .pending: .pending
        case .refused: .refused
        case .stopped: .stopped
        }
    }

    /// The status for an error that ended a command: its category's, or a failure for an error that has none.
    static func of(_ error: any Error) -> ExitStatus {
        (error as? any CategorizedError).map { of($0.category) } ?? .failure
    }
}
