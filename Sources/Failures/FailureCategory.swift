/// What kind of failure ended a command, as the library that failed judges it: the command line maps each
/// category to one documented exit status (one table, in the CLI), so a new error type only has to say its category.
public enum FailureCategory: Sendable, Equatable, CaseIterable {
    /// The command line or its request is a mistake: malformed, overlapping locations, a run that does not exist.
    case usage
    /// A setting is missing or wrong: a profile, a region, an endpoint, a bucket, a file, a path.
    case configuration
    /// The credentials were refused or lack permission.
    case credentials
    /// The endpoint (S3, SMTP) could not be reached.
    case unreachable
    /// The operation itself failed (S3 or the queue refused it, the data is damaged).
    case failed
    /// Some objects failed after every retry; the rest is done.
    case partial
    /// A guard refused to do what was asked (a delete cap, an emptied primary).
    case refused
    /// A signal stopped the command before it finished.
    case stopped
    /// The work waits for something that takes time (S3 retrieving archived objects); the same command later goes on.
    case pending
}

/// An error that says its category.
public protocol CategorizedError: Error {
    /// What kind of failure this is.
    var category: FailureCategory { get }
}
