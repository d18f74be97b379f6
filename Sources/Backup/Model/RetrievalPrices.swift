import S3

/// What a retrieval from an archive takes and costs, by where the object is archived and the tier asked: AWS's
/// typical times (https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects-retrieval-options.html)
/// and its us-east-1 list prices for data retrievals (https://aws.amazon.com/s3/pricing/, "Requests & data
/// retrievals"), as of 2026. An estimate: other regions, other dates and negotiated prices differ, and the request
/// and transfer charges of the copy that follows are not in it.
public enum RetrievalPrices {
    /// Where an archived object is: a storage class, or an Intelligent-Tiering archive tier.
    public enum Archive: String, Sendable, CaseIterable {
        /// GLACIER (S3 Glacier Flexible Retrieval).
        case glacier = "GLACIER"
        /// DEEP_ARCHIVE (S3 Glacier Deep Archive).
        case deepArchive = "DEEP_ARCHIVE"
        /// INTELLIGENT_TIERING in its Archive Access tier.
        case archiveAccess = "INTELLIGENT_TIERING ARCHIVE_ACCESS"
        /// INTELLIGENT_TIERING in its Deep Archive Access tier.
        case deepArchiveAccess = "INTELLIGENT_TIERING DEEP_ARCHIVE_ACCESS"

        /// The archive an object of `storageClass` (and Intelligent-Tiering `archiveStatus`) is in; nil when it is in none.
        public init?(storageClass: String, archiveStatus: String?) {
            switch (storageClass, archiveStatus) {
            case ("GLACIER", _): self = .glacier
            case ("DEEP_ARCHIVE", _): self = .deepArchive
            case (_, "ARCHIVE_ACCESS"): self = .archiveAccess
            case (_, "DEEP_ARCHIVE_ACCESS"): self = .deepArchiveAccess
            default: return nil
            }
        }
    }

    /// One line of the table.
    public struct Price: Sendable, Equatable {
        /// US dollars per GB (2^30 bytes, as AWS bills: `Prices.bytesPerGB`) retrieved.
        public var perGB: Double
        /// US dollars per 1,000 retrieval requests.
        public var perThousandRequests: Double
        /// How long it typically takes, as AWS says it.
        public var typicalTime: String

        /// The estimate for `objects` objects of `bytes` bytes in all.
        public func cost(objects: Int, bytes: Int64) -> Double {
            Double(bytes) / Prices.bytesPerGB * perGB + Double(objects) / 1_000 * perThousandRequests
        }
    }

    /// The price of retrieving from `archive` at `tier`; nil where S3 does not offer that tier (Expedited from
    /// the deep archives).
    public static func price(_ archive: Archive, _ tier: RetrievalTier) -> Price? {
        switch (archive, tier) {
        case (.glacier, .expedited), (.archiveAccess, .expedited): Price(perGB: 0.03, perThousandRequests: 10, typicalTime: "1–5 minutes")
        case (.glacier, .standard): Price(perGB: 0.01, perThousandRequests: 0.05, typicalTime: "3–5 hours")
        case (.glacier, .bulk): Price(perGB: 0, perThousandRequests: 0, typicalTime: "5–12 hours")
        case (.deepArchive, .standard): Price(perGB: 0.02, perThousandRequests: 0.10, typicalTime: "within 12 hours")
        case (.deepArchive, .bulk): Price(perGB: 0.0025, perThousandRequests: 0.025, typicalTime: "within 48 hours")
        // Standard and Bulk retrievals from Intelligent-Tiering's archive tiers are free.
        case (.archiveAccess, .standard): Price(perGB: 0, perThousandRequests: 0, typicalTime: "3–5 hours")
        case (.archiveAccess, .bulk): Price(perGB: 0, perThousandRequests: 0, typicalTime: "5–12 hours")
        case (.deepArchiveAccess, .standard): Price(perGB: 0, perThousandRequests: 0, typicalTime: "within 12 hours")
        case (.deepArchiveAccess, .bulk): Price(perGB: 0, perThousandRequests: 0, typicalTime: "within 48 hours")
        case (.deepArchive, .expedited), (.deepArchiveAccess, .expedited): nil
        }
    }

    /// `Standard: typically 3–5 hours from GLACIER, within 12 hours from DEEP_ARCHIVE`: what to expect of `tier`.
    public static func typicalTimes(_ tier: RetrievalTier) -> String {
        let times = [Archive.glacier, .deepArchive].compactMap { archive in
            price(archive, tier).map { "\($0.typicalTime) from \(archive.rawValue)" }
        }
        return "\(tier.rawValue): typically " + times.joined(separator: ", ")
    }

    /// `$1.23`, `$0.0042` below a cent, `under $0.0001` below that: an estimate's words.
    public static func dollars(_ amount: Double) -> String {
        if amount > 0 && amount < 0.0001 { return "under $0.0001" }
        return String(format: amount > 0 && amount < 0.01 ? "$%.4f" : "$%.2f", amount)
    }

    /// An estimate in words: `about $0.0043`, or `under $0.0001`.
    public static func about(_ amount: Double) -> String {
        amount > 0 && amount < 0.0001 ? dollars(amount) : "about \(dollars(amount))"
    }
}
