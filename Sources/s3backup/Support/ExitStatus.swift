import ArgumentParser
import Backup
import CSQLite
import Mail
import Queue
import S3

/// The exit statuses, documented in the README and `--help`, so cron and systemd can act on them.
enum ExitStatus: Int32 {
    /// Everything worked.
    case success = 0
    /// The operation failed (S3 refused it, or an object could not be read or written), or the backup does not
    /// match the primary after the run.
    case failure = 1
    /// Some objects failed after every retry; the rest of the backup is done (`s3backup failed` names them).
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
    /// The endpoint could not be reached.
    case unavailable = 69
    /// The credentials were refused or lack permission.
    case permission = 77
    /// Settings are missing or wrong: credentials, profile, region, endpoint, an s3:// URL, a bucket that does not
    /// exist, a backup without versioning, the config file, the log directory, the queue's location.
    case configuration = 78

    /// The table for `--help`.
    static let helpText = """
        Exit status: 0 success; 1 failed (or the backup does not match); 2 partial (some objects failed);
        3 deletes refused (a delete cap, an empty primary); 4 succeeded but the mail could not be sent;
        5 stopped by SIGTERM or SIGINT before it finished (the next run finishes it);
        64 bad command line (or overlapping locations); 69 endpoint unreachable;
        77 credentials refused or not permitted; 78 configuration error (credentials, profile, region, endpoint,
        URL, a missing or unversioned bucket, the config file, the log directory, the queue's location).
        """

    /// The status of a finished run whose report was (or was not) mailed: a mail failure shows only when
    /// nothing worse happened, and never hides the run's own result.
    static func of(_ verdict: BackupReport.Verdict, mailed: Bool) -> ExitStatus {
        let status = of(verdict)
        return status == .success && !mailed ? .mailFailed : status
    }

    /// The status for a finished run.
    static func of(_ verdict: BackupReport.Verdict) -> ExitStatus {
        switch verdict {
        case .success: .success
        case .refused: .refused
        case .partial: .partial
        case .mismatch: .failure
        }
    }

    /// The status for an error that ended a command.
    static func of(_ error: any Error) -> ExitStatus {
        if let error = error as? QueueError { return of(error) }
        if error is MailError || error is LogError { return .configuration }
        if let error = error as? BackupError { return of(error) }
        guard let error = error as? S3Error else { return .failure }
        switch error.kind {
        case .configuration: return .configuration
        case .transport: return .unavailable
        case .service(let status, let code):
            let credentialCodes: Set = ["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
                                        "AccessDenied", "AllAccessDisabled"]
            if credentialCodes.contains(code) || status == 403 { return .permission }
            return code == "NoSuchBucket" ? .configuration : .failure
        case .invalidResponse, .local: return .failure
        }
    }
}

extension ExitStatus {
    /// Overlapping locations and a run that cannot be cancelled are mistakes of the command line; an unversioned
    /// backup is a setting to fix; the rest are failures.
    static func of(_ error: BackupError) -> ExitStatus {
        switch error {
        case .overlappingLocations, .cannotCancel: .usage
        case .unversionedBackup: .configuration
        case .plannerBusy, .incompletePlan, .badParameters, .badPayload, .keyOutsidePrefix: .failure
        }
    }

    /// A queue in a place it cannot work, or from a newer version, is a configuration error; damage is a failure.
    static func of(_ error: QueueError) -> ExitStatus {
        switch error.kind {
        case .newerSchema, .unsafeLocation: .configuration
        case .notFound: .usage
        case .sqlite(let code) where [SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM].contains(code & 0xff): .configuration
        default: .failure
        }
    }
}

extension AsyncParsableCommand {
    /// Runs `body`; an error becomes one line on stderr (`s3backup: …`) and its documented exit status, never a
    /// stack trace.
    func reportingErrors(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            StandardError.say("\(error)")
            throw ExitCode(ExitStatus.usage.rawValue)
        } catch {
            StandardError.say("\(error)")
            throw ExitCode(ExitStatus.of(error).rawValue)
        }
    }
}
