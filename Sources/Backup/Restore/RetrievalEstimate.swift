import S3

/// What a restore's archived objects will take before they can be copied: per storage class, how many and how big,
/// the tier's typical time and an estimate of the retrieval cost (`RetrievalPrices`). Intelligent-Tiering objects are
/// counted apart: only those in an archive tier need a retrieval, which HeadObject tells during the restore.
public struct RetrievalEstimate: Codable, Sendable, Equatable {
    /// One storage class's share.
    public struct Share: Codable, Sendable, Equatable {
        /// GLACIER, DEEP_ARCHIVE or INTELLIGENT_TIERING.
        public var storageClass: String
        /// Objects of that class to copy.
        public var objects = 0
        /// Their bytes.
        public var bytes: Int64 = 0
        /// How long the tier typically takes from this class; nil for Intelligent-Tiering or a tier S3 does not offer.
        public var typicalTime: String?
        /// The estimated cost in US dollars; nil where the tier is not offered.
        public var cost: Double?
    }

    /// The tier asked.
    public var tier: RetrievalTier
    /// The shares, GLACIER, DEEP_ARCHIVE, INTELLIGENT_TIERING, those with objects only.
    public var shares: [Share] = []

    /// The estimate for `counts` (storage class → objects and bytes) at `tier`.
    public init(tier: RetrievalTier, counts: [String: (objects: Int, bytes: Int64)]) {
        self.tier = tier
        for storageClass in ["GLACIER", "DEEP_ARCHIVE", "INTELLIGENT_TIERING"] {
            guard let count = counts[storageClass], count.objects > 0 else { continue }
            let price = RetrievalPrices.Archive(storageClass: storageClass, archiveStatus: nil)
                .flatMap { RetrievalPrices.price($0, tier) }
            let intelligent = storageClass == "INTELLIGENT_TIERING"
            shares.append(Share(storageClass: storageClass, objects: count.objects, bytes: count.bytes,
                                typicalTime: price?.typicalTime,
                                cost: intelligent ? (tier == .expedited ? nil : 0) : price?.cost(objects: count.objects, bytes: count.bytes)))
        }
    }

    /// The estimated total of the GLACIER and DEEP_ARCHIVE shares (which objects of Intelligent-Tiering need a
    /// retrieval is not known before the restore); nil when one of them cannot be retrieved at this tier.
    public var cost: Double? {
        var total = 0.0
        for share in shares where share.storageClass != "INTELLIGENT_TIERING" {
            guard let cost = share.cost else { return nil }
            total += cost
        }
        return total
    }

    /// Lines for a person, indented under a restore's preview.
    public var lines: [String] {
        guard !shares.isEmpty else { return [] }
        var lines = ["archived, retrieved before they are copied (\(tier.rawValue); an estimate at AWS's us-east-1 list prices):"]
        for share in shares {
            let size = "\(share.objects) object(s), \(ByteCount.text(share.bytes))"
            if share.storageClass == "INTELLIGENT_TIERING" {
                lines.append("  INTELLIGENT_TIERING: \(size): those in an archive tier (HeadObject tells, during the restore) are "
                    + (tier == .expedited ? "retrieved at Expedited prices ($0.03 per GB, $10 per 1,000), not from Deep Archive Access"
                        : "retrieved free at \(tier.rawValue)"))
            } else if let time = share.typicalTime, let cost = share.cost {
                lines.append("  \(share.storageClass): \(size), typically \(time), \(RetrievalPrices.about(cost))")
            } else {
                lines.append("  \(share.storageClass): \(size): S3 has no \(tier.rawValue) retrieval from it; pass --archive-tier Standard or Bulk")
            }
        }
        if let cost { lines.append("  total: \(RetrievalPrices.about(cost)), and the copies' own requests") }
        return lines
    }
}
