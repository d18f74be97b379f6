/// A guard rail of the transport that stopped a transfer which had an answer coming: the answer held in memory grew
/// past its cap, or the request ran past its time limit. The client turns it into an `S3Error` naming the request.
public enum TransferLimitExceeded: Error, Sendable, Equatable, CustomStringConvertible {
    /// An answer kept in memory (anything but an object body streamed to a sink) went over `limit` bytes; `announced`
    /// is its Content-Length when that alone was over.
    case body(limit: Int, announced: Int64?)
    /// The request ran `elapsedSeconds`, past the `allowedSeconds` that `limit` gave it for the `bytes` it moved.
    case time(limit: RequestTimeLimit, allowedSeconds: Double, elapsedSeconds: Double, bytes: Int64)

    /// What tripped, with the numbers.
    public var description: String {
        switch self {
        case .body(let limit, let announced):
            let size = announced.map { "announced \($0) bytes, more than" } ?? "grew past"
            return "the answer \(size) the \(limit) bytes (\(limit >> 20) MiB) s3backup keeps in memory for an answer "
                + "that is not an object body; no S3 answer of this kind comes near that"
        case .time(let limit, let allowed, let elapsed, let bytes):
            return "the request ran \(Int(elapsed)) s, past its time limit of \(Int(allowed)) s (\(limit)) for the "
                + "\(bytes) bytes it moved"
        }
    }
}
