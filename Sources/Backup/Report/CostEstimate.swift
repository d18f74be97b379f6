import Foundation

/// What a run cost and what its destination costs to keep, by `Prices`: the run's S3 requests by kind, the bytes it
/// copied between regions and its archive retrievals; the destination's current versions per month by storage
/// class, as planning listed them and the run's copies and deletes left them. An estimate, as the prices are: it
/// leaves out free tiers, volume tiers past the first, minimum storage durations, Intelligent-Tiering's monitoring
/// fee and the retrieval fee of reading Infrequent Access objects; noncurrent versions are counted only when listed
/// (`--count-versions`).
public struct CostEstimate: Codable, Sendable, Equatable {
    /// How S3 bills a request. https://aws.amazon.com/s3/pricing/ ("Requests & data retrievals")
    public enum RequestKind: String, Codable, Sendable, CaseIterable {
        /// PUT, COPY, POST (writes of the copies, multipart uploads), at the copies' storage class.
        case write
        /// LIST requests (ListObjectsV2, ListObjectVersions), at STANDARD's write price.
        case list
        /// GET, HEAD and the other requests, at STANDARD's read price.
        case read
        /// DELETE and multipart aborts: free.
        case delete
        /// RestoreObject: priced with the retrievals (`RetrievalPrices`).
        case retrieval

        /// The kind S3 bills `operation` (an S3 API name) as.
        public init(operation: String) {
            if operation == "RestoreObject" { self = .retrieval } else if operation.hasPrefix("List") { self = .list } else if
                operation.hasPrefix("Delete") || operation.hasPrefix("Abort") { self = .delete } else if
                ["Put", "Copy", "UploadPart", "CreateMultipartUpload", "CompleteMultipartUpload"].contains(where: operation.hasPrefix) {
                self = .write
            } else { self = .read }
        }
    }

    /// The requests of one kind.
    public struct Requests: Codable, Sendable, Equatable {
        /// The kind.
        public var kind: RequestKind
        /// How many (every attempt).
        public var count: Int
        /// Their price per 1,000, in US dollars; nil where the table has none for the class.
        public var perThousand: Double?
        /// What they cost.
        public var dollars: Double
    }

    /// The destination's objects of one storage class, per month.
    public struct Storage: Codable, Sendable, Equatable {
        /// The storage class.
        public var storageClass: String
        /// Current versions, or noncurrent ones.
        public var current: Bool
        /// Objects and bytes.
        public var objects: Int, bytes: Int64
        /// GB billed (small objects billed at a minimum size, archives with their index): at the class's price and,
        /// for the archives, at STANDARD's besides.
        public var billedGB: Double, standardGB: Double
        /// The price per GB-month; nil where the table has none for the class (then it is left out of the total).
        public var perGBMonth: Double?
        /// What it costs per month.
        public var dollarsPerMonth: Double
    }

    /// The requests by kind, in `RequestKind` order, kinds with none left out.
    public var requests: [Requests]
    /// Bytes copied between buckets in different regions, and what that cost.
    public var transferBytes: Int64, transferDollars: Double
    /// The archive retrievals the run asked for.
    public var retrievalDollars: Double
    /// Requests, transfer and retrievals together.
    public var runDollars: Double
    /// The destination's storage by class: current versions, then noncurrent ones where they were listed.
    public var storage: [Storage]
    /// The storage together, per month.
    public var monthlyDollars: Double
    /// Whether noncurrent versions are in `storage` (listed with `--count-versions`).
    public var countsNoncurrent: Bool
    /// Storage classes (of storage or of the copies' writes) the table has no price for.
    public var unpriced: [String]

    /// The estimate for a run: `requests` by operation, writes at `storageClass`; `copiedBytes` cross regions when the
    /// findings' two regions differ; `retrievalDollars` as the workers estimated them; `current` the destination's
    /// current versions by class after the run, `noncurrent` its noncurrent ones when they were listed.
    public init(prices: Prices, requests byOperation: [String: Int], storageClass: String, copiedBytes: Int64, crossRegion: Bool,
                retrievalDollars: Double, current: [String: StorageTally], noncurrent: [String: StorageTally]?) {
        var unpriced: Set<String> = []
        var counts: [RequestKind: Int] = [:]
        for (operation, count) in byOperation { counts[RequestKind(operation: operation), default: 0] += count }
        requests = RequestKind.allCases.compactMap { kind in
            guard let count = counts[kind], count > 0 else { return nil }
            let price: Double? = switch kind {
            case .write: prices.write[storageClass]
            case .list: prices.write["STANDARD"]
            case .read: prices.read["STANDARD"]
            case .delete: 0
            case .retrieval: 0
            }
            if price == nil { unpriced.insert(kind == .write ? storageClass : "STANDARD") }
            return Requests(kind: kind, count: count, perThousand: price, dollars: Double(count) / 1_000 * (price ?? 0))
        }
        transferBytes = crossRegion ? copiedBytes : 0
        transferDollars = Double(transferBytes) / Prices.bytesPerGB * prices.transfer
        self.retrievalDollars = retrievalDollars
        runDollars = requests.reduce(0) { $0 + $1.dollars } + transferDollars + retrievalDollars
        func lines(_ tallies: [String: StorageTally], current: Bool) -> [Storage] {
            tallies.filter { $0.value.objects > 0 }.sorted { $0.key < $1.key }.map { storageClass, tally in
                let (own, standard) = Prices.billedBytes(tally, in: storageClass)
                let price = prices.storage[storageClass], standardPrice = prices.storage["STANDARD"] ?? 0
                if price == nil { unpriced.insert(storageClass) }
                let (ownGB, standardGB) = (Double(own) / Prices.bytesPerGB, Double(standard) / Prices.bytesPerGB)
                return Storage(storageClass: storageClass, current: current, objects: tally.objects, bytes: tally.bytes, billedGB: ownGB,
                               standardGB: standardGB, perGBMonth: price,
                               dollarsPerMonth: price.map { ownGB * $0 + standardGB * standardPrice } ?? 0)
            }
        }
        storage = lines(current, current: true) + (noncurrent.map { lines($0, current: false) } ?? [])
        monthlyDollars = storage.reduce(0) { $0 + $1.dollarsPerMonth }
        countsNoncurrent = noncurrent != nil
        self.unpriced = unpriced.sorted()
    }

    /// A few lines for the text report, the page and the mail.
    public func lines(destination: String) -> [String] {
        let dollars = RetrievalPrices.dollars
        var requestWords = requests.map { "\($0.count) \($0.kind.rawValue) \(dollars($0.dollars))" }.joined(separator: ", ")
        if requestWords.isEmpty { requestWords = "none counted" }
        var lines = ["this run: \(RetrievalPrices.about(runDollars)): requests \(requestWords); \(ByteCount.text(transferBytes)) between "
            + "regions \(dollars(transferDollars)); retrievals \(dollars(retrievalDollars))"]
        let classes = storage.map { line in
            "\(line.current ? "" : "noncurrent ")\(line.storageClass) \(line.objects) objects \(ByteCount.text(line.bytes)) "
                + (line.perGBMonth == nil ? "(no price)" : dollars(line.dollarsPerMonth))
        }
        lines.append("to keep the \(destination): \(RetrievalPrices.about(monthlyDollars)) a month: "
            + (classes.isEmpty ? "nothing stored" : classes.joined(separator: ", "))
            + (countsNoncurrent ? "" : "; noncurrent versions not counted (--count-versions lists them)"))
        if !unpriced.isEmpty {
            lines.append("no price for \(unpriced.joined(separator: ", ")): left out (set one with --price storage.CLASS=USD)")
        }
        return lines
    }
}
