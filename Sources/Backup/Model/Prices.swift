/// What S3 charges, for the estimates in the reports: storage per GB-month, requests per 1,000, and data moved
/// between regions per GB, in US dollars. The defaults are AWS's list prices for US East (N. Virginia) as published
/// at https://aws.amazon.com/s3/pricing/ in 2026 (first storage tier, no free tier, no discounts); other regions,
/// other dates and negotiated prices differ, so each can be set (`--price`, or `price = […]` under `[prices]` in the
/// config file).
public struct Prices: Sendable, Equatable {
    /// Bytes in the GB that AWS bills by (2^30).
    public static let bytesPerGB = Double(1 << 30)

    /// Storage, per GB-month, by storage class.
    public var storage: [String: Double]
    /// PUT, COPY, POST and LIST requests, per 1,000, by the storage class written (a LIST at STANDARD's).
    public var write: [String: Double]
    /// GET, HEAD and every other request but DELETE, per 1,000, by the storage class read.
    public var read: [String: Double]
    /// Data copied from a bucket in one region to a bucket in another, per GB.
    public var transfer: Double

    /// AWS's list prices in us-east-1, 2026.
    public static let aws = Prices(
        storage: ["STANDARD": 0.023, "INTELLIGENT_TIERING": 0.023, "STANDARD_IA": 0.0125, "ONEZONE_IA": 0.01,
                  "GLACIER_IR": 0.004, "GLACIER": 0.0036, "DEEP_ARCHIVE": 0.00099],
        write: ["STANDARD": 0.005, "INTELLIGENT_TIERING": 0.005, "STANDARD_IA": 0.01, "ONEZONE_IA": 0.01,
                "GLACIER_IR": 0.02, "GLACIER": 0.03, "DEEP_ARCHIVE": 0.05],
        read: ["STANDARD": 0.0004, "INTELLIGENT_TIERING": 0.0004, "STANDARD_IA": 0.001, "ONEZONE_IA": 0.001,
               "GLACIER_IR": 0.01, "GLACIER": 0.0004, "DEEP_ARCHIVE": 0.0004],
        transfer: 0.02)

    /// Storage classes whose objects are billed at least `StorageTally.minimumBilledSize`.
    static let minimumSizeClasses: Set = ["STANDARD_IA", "ONEZONE_IA", "GLACIER_IR"]
    /// Storage classes that bill each object 32 KiB of index at their own price and 8 KiB of name and metadata at
    /// STANDARD's.
    static let archiveClasses: Set = ["GLACIER", "DEEP_ARCHIVE"]

    /// The bytes of `tally` billed at `storageClass`'s price, and those billed at STANDARD's besides.
    static func billedBytes(_ tally: StorageTally, in storageClass: String) -> (own: Int64, standard: Int64) {
        if minimumSizeClasses.contains(storageClass) { return (tally.bytes + tally.shortOfMinimum, 0) }
        if archiveClasses.contains(storageClass) { return (tally.bytes + Int64(tally.objects) * (32 << 10), Int64(tally.objects) * (8 << 10)) }
        return (tally.bytes, 0)
    }

    /// These prices with `setting` applied: `storage.CLASS=USD`, `write.CLASS=USD`, `read.CLASS=USD` or
    /// `transfer=USD`. Throws a message that says what is accepted.
    public func applying(_ setting: String) throws(PriceError) -> Prices {
        let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let value = Double(parts[1]), value >= 0, value.isFinite else {
            throw PriceError(setting, "is not NAME=USD with a price of 0 or more")
        }
        var prices = self
        let name = parts[0].split(separator: ".", maxSplits: 1).map(String.init)
        switch (name.first, name.count) {
        case ("transfer", 1): prices.transfer = value
        case ("storage", 2): prices.storage[name[1]] = value
        case ("write", 2): prices.write[name[1]] = value
        case ("read", 2): prices.read[name[1]] = value
        default: throw PriceError(setting, "names no price")
        }
        return prices
    }
}

/// A `--price` setting that is not one.
public struct PriceError: Error, CustomStringConvertible {
    /// What is wrong, and what is accepted.
    public let description: String

    init(_ setting: String, _ problem: String) {
        description = "--price \(setting.debugDescription) \(problem): write storage.CLASS=USD (per GB-month), write.CLASS=USD "
            + "or read.CLASS=USD (per 1,000 requests), or transfer=USD (per GB between regions), e.g. storage.STANDARD_IA=0.0125"
    }
}
