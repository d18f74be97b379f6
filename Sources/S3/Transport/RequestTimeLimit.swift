/// The longest one request may take from start to end, besides the stall limit (which a 1 byte/s trickle never
/// trips): a fixed allowance for every request, plus time for the bytes it moves at a floor rate, so a multi-GiB
/// part on a slow link is not cut while a metadata call that trickles is. The bytes counted are the most of the
/// body sent, the answer's announced length and what actually moved, so an answer of unknown length is never cut
/// while it moves at the floor rate or faster.
public struct RequestTimeLimit: Sendable, Hashable, CustomStringConvertible {
    /// Seconds every request may take whatever its size: server-side copies and CompleteMultipartUpload move no
    /// bytes to us and can take minutes (S3 keeps them alive with whitespace).
    public var baseSeconds: Int
    /// The slowest average rate, in bytes a second, a transfer is given time for beyond `baseSeconds`.
    public var floorBytesPerSecond: Int

    /// 15 minutes, plus 1 second for every 64 KiB (a 5 GiB part may take almost 23 hours, a 100 MiB one 41 minutes).
    public init(baseSeconds: Int = 900, floorBytesPerSecond: Int = 64 * 1024) {
        precondition(baseSeconds > 0 && floorBytesPerSecond > 0, "a time limit needs a positive base and floor rate")
        self.baseSeconds = baseSeconds
        self.floorBytesPerSecond = floorBytesPerSecond
    }

    /// The seconds a request moving `bytes` may take.
    public func seconds(forBytes bytes: Int64) -> Double {
        Double(baseSeconds) + Double(max(bytes, 0)) / Double(floorBytesPerSecond)
    }

    /// This limit with its base raised by the time `copiedBytes` would take at the floor rate: for a server-side copy,
    /// whose bytes never pass through us while we wait for its answer.
    public func allowing(copiedBytes: Int64) -> RequestTimeLimit {
        guard copiedBytes > 0 else { return self }
        let extra = (copiedBytes + Int64(floorBytesPerSecond) - 1) / Int64(floorBytesPerSecond)
        return RequestTimeLimit(baseSeconds: baseSeconds + Int(min(extra, Int64(Int32.max))),
                                floorBytesPerSecond: floorBytesPerSecond)
    }

    /// "900 s plus 1 s per 65536 bytes moved".
    public var description: String { "\(baseSeconds) s plus 1 s per \(floorBytesPerSecond) bytes moved" }
}
