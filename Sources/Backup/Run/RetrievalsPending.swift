import Failures
import Queue
import S3

/// A run left waiting for S3 to retrieve archived objects (`restore --no-wait`): everything readable is copied, the
/// rest is parked in the queue, and the same command later copies it without asking S3 again.
public struct RetrievalsPending: CategorizedError, CustomStringConvertible, Sendable {
    /// Waiting is its own outcome: nothing failed, and the same command goes on.
    public var category: FailureCategory { .pending }

    /// The run.
    public let unfinished: UnfinishedRun
    /// What waits.
    public let waiting: Waiting
    /// The tier asked.
    public let tier: RetrievalTier

    /// One line with what happens next.
    public var description: String {
        let command = unfinished.kind == "restore" ? "`s3backup restore` command" : "`s3backup run`"
        return "\(unfinished.title) waits for \(waiting.objects) archived object(s) that S3 is retrieving "
            + "(\(RetrievalPrices.typicalTimes(tier))); the same \(command) copies them once they are ready"
    }
}
