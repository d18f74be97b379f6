import Foundation
import Queue
import S3

/// Where one side of a run lives and how to reach it; stored with the run (no secrets), so every worker process
/// builds the same clients from it and its own environment.
public struct Side: Codable, Sendable, Equatable {
    /// `s3://bucket/prefix`.
    public var url: String
    /// A custom endpoint; nil for AWS (or whatever the environment configures).
    public var endpointURL: String?
    /// The AWS profile; nil for the environment's.
    public var profile: String?
    /// The starting region; each bucket's own is discovered.
    public var region: String?

    /// A side at `url`, kept as a folder (`s3://b/data` as `s3://b/data/`), so one location has one name in the queue.
    public init(url: String, endpointURL: String? = nil, profile: String? = nil, region: String? = nil) {
        self.url = (try? S3URL(url).folder.description) ?? url
        self.endpointURL = endpointURL
        self.profile = profile
        self.region = region
    }

    /// The parsed location, as a folder: `s3://b/data` is every key under `data/`, never `data-other/…`.
    public func location() throws -> S3URL { try S3URL(url).folder }

    /// A client for this side, configured from the stored settings and `environment`; `observer` sees its attempts,
    /// and each request is tried `attempts` times where that is more than the default and the user set no number
    /// (`AWS_MAX_ATTEMPTS`, `max_attempts`: a number set is honoured as given).
    public func client(environment: [String: String], observer: (any RequestObserver)? = nil, attempts: Int = 1) throws -> S3Client {
        var configuration = try S3Configuration.resolve(profile: profile, endpointURL: endpointURL, region: region,
                                                        environment: environment)
        configuration.observer = observer
        if !configuration.retry.attemptsConfigured { configuration.retry.maxAttempts = max(configuration.retry.maxAttempts, attempts) }
        return S3Client(configuration: configuration)
    }

    /// Whether both sides reach the same service as the same principal, so S3 can copy server-side.
    public func sharesService(with other: Side, environment: [String: String]) throws -> Bool {
        let mine = try S3Configuration.resolve(profile: profile, endpointURL: endpointURL, region: region, environment: environment)
        let theirs = try S3Configuration.resolve(profile: other.profile, endpointURL: other.endpointURL, region: other.region,
                                                 environment: environment)
        return mine.endpoint == theirs.endpoint && profile == other.profile
    }
}

/// How many deletes a run may make in the backup: a count, or a percentage of the backup's objects.
public enum DeleteCap: Codable, Sendable, Equatable, CustomStringConvertible {
    /// At most this many.
    case count(Int)
    /// At most this percentage of the objects the backup held.
    case percent(Double)

    /// The default: at most 10 % of the backup.
    public static let `default` = DeleteCap.percent(10)

    /// Parses `N` or `P%`; nil for anything else.
    public init?(_ text: String) {
        if text.hasSuffix("%") {
            guard let value = Double(text.dropLast()), (0...100).contains(value) else { return nil }
            self = .percent(value)
        } else {
            guard let value = Int(text), value >= 0 else { return nil }
            self = .count(value)
        }
    }

    /// Whether `deletes` out of a backup of `backupObjects` is within the cap.
    public func allows(_ deletes: Int, of backupObjects: Int) -> Bool {
        switch self {
        case .count(let limit): deletes <= limit
        case .percent(let limit): Double(deletes) <= Double(backupObjects) * limit / 100
        }
    }

    /// `N` or `P%`.
    public var description: String {
        switch self {
        case .count(let limit): String(limit)
        case .percent(let limit): limit == limit.rounded() ? "\(Int(limit))%" : "\(limit)%"
        }
    }
}

/// A delete cap over several nights: the deletes of a run and of the runs between the same locations in the
/// `days` before it, together, against what the backup held when that window began. A primary that keeps listing
/// short would otherwise lose a nightly cap's worth every night for as long as nobody looks.
public struct DeleteWindow: Codable, Sendable, Equatable {
    /// The window's length in days.
    public var days: Int
    /// The most the window's runs may delete together.
    public var cap: DeleteCap

    /// The default: at most 20 % of the backup in 7 days.
    public static let `default` = DeleteWindow(days: 7, cap: .percent(20))

    /// A window of `days` days capped at `cap`.
    public init(days: Int, cap: DeleteCap) {
        precondition(days > 0, "a delete window lasts at least a day")
        self.days = days
        self.cap = cap
    }
}

/// How a run has S3 retrieve the archived objects it copies: the tier (time and price), and how long S3 keeps the
/// temporary readable copy of a GLACIER or DEEP_ARCHIVE object (Intelligent-Tiering moves the object back instead).
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects.html
public struct ArchiveRetrieval: Codable, Sendable, Equatable {
    /// The tier.
    public var tier: RetrievalTier
    /// Days the retrieved copy stays readable.
    public var days: Int

    /// `tier`, kept `days` days (at least 1).
    public init(tier: RetrievalTier = .standard, days: Int = 2) {
        precondition(days >= 1, "a retrieved copy lasts at least a day")
        self.tier = tier
        self.days = days
    }
}

/// Everything a backup run was asked to do; stored as the run's parameters.
public struct RunParameters: Codable, Sendable, Equatable {
    /// The primary.
    public var source: Side
    /// The backup.
    public var backup: Side
    /// The storage class of copies (the backup's setting, not the source's).
    public var storageClass: String = "STANDARD_IA"
    /// `AES256` (SSE-S3) or `aws:kms`.
    public var encryption: String = "AES256"
    /// The KMS key for `aws:kms`; nil for the account's default key.
    public var kmsKeyID: String?
    /// The delete cap.
    public var maxDelete: DeleteCap = .default
    /// The delete cap over several nights; nil for none (restores, and runs stored before it existed).
    public var deleteWindow: DeleteWindow?
    /// Objects per copy task.
    public var batchObjects = 100
    /// Bytes per copy task; an object at least this big gets a task of its own.
    public var batchBytes: Int64 = 256 << 20
    /// A source with more objects than this is split by prefix and listed in parallel.
    public var splitThreshold = 10_000
    /// Whether objects only in the destination are deleted (a backup mirrors; a restore adds only, unless asked).
    public var mirrorDeletes = true
    /// `backup` or `restore`: how the run is filed in the queue.
    public var kind = "backup"
    /// For a point-in-time restore: the source is read as it was at this moment (S3's ISO 8601 form), from its
    /// versions; nil reads its current objects.
    public var asOf: String?
    /// Only these keys (relative to the prefixes) are copied or deleted; nil for all.
    public var onlyKeys: [String]?
    /// How archived source objects are retrieved before they are copied; nil: they are not, and are reported as
    /// archived and not copied (a backup's default).
    public var retrieval: ArchiveRetrieval?
    /// How copies into the backup are locked (S3 Object Lock), as the backup bucket records it; nil for not at all.
    public var lock: LockPolicy?

    /// Parameters for `source` → `backup`.
    public init(source: Side, backup: Side) {
        self.source = source
        self.backup = backup
    }

    /// The encryption copies are written with; nil (`none`) leaves it to the bucket, for providers without
    /// server-side encryption.
    public var serverSideEncryption: ServerSideEncryption? {
        switch encryption {
        case "none": nil
        case "aws:kms": .kms(keyID: kmsKeyID)
        default: .s3
        }
    }

    /// The source and backup as one name, `source -> backup` (endpoints included, `s3://b` and `s3://b/` the same
    /// location): what the catalog of copies between them is kept under. A row's key is relative to both prefixes,
    /// so a restore by `--prefix` (other prefixes) does not read its backup's rows: it compares objects whose ETags
    /// differ by their checksums instead.
    public var pair: String { RunParameters.pair(source, backup) }

    /// The pair the other way round: a restore reads its backup's rows backwards, and a backup its restores'.
    public var reversedPair: String { RunParameters.pair(backup, source) }

    private static func pair(_ from: Side, _ to: Side) -> String {
        func name(_ side: Side) -> String {
            let location = (try? side.location()).map { "s3://\($0.bucket)/\($0.prefix)" } ?? side.url
            return side.endpointURL.map { "\($0) \(location)" } ?? location
        }
        return "\(name(from)) -> \(name(to))"
    }

    /// JSON for the queue.
    public func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Reads the JSON stored with a run.
    public static func decode(_ text: String) throws -> RunParameters {
        try JSONDecoder().decode(RunParameters.self, from: Data(text.utf8))
    }

    /// The parameters stored with `run`; unreadable ones are a `BackupError.badParameters`.
    public static func stored(in run: RunRecord) throws -> RunParameters {
        do {
            return try decode(run.parameters)
        } catch {
            throw BackupError.badParameters(run: run.id, reason: "\(error)")
        }
    }
}
