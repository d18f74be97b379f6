import Foundation
import S3
import SigV4

/// The recovery drill: the primary and the backup compared (counts, bytes, sizes and ETags of every key) and the
/// bodies of randomly chosen objects downloaded from both and compared byte for byte (by SHA-256).
public struct Drill: Sendable {
    /// What the drill found.
    public struct Result: Codable, Sendable {
        /// The comparison of every key (as `plan`: `same`, `missing`, `changed`, `extra`, counts and bytes).
        public var comparison: PlanFindings
        /// The keys that differ, by kind: the first of each kind (as many as the drill was asked to keep), all counted.
        public var differingKeys: DifferingKeys
        /// Keys whose bodies were compared.
        public var sampled: [String]
        /// Of those, keys whose bodies differ (or that one side lacks).
        public var bodyMismatches: [String]
        /// Objects whose bodies were not sampled because they are archived (GLACIER, DEEP_ARCHIVE, an archive tier)
        /// and unreadable until retrieved: those the primary lists in an archive class, and chosen ones either side
        /// refused to read as archived. They are compared by key, size and ETag as every other object.
        public var archivedNotSampled = 0
        /// With `--sample-archived`: chosen objects archived in the backup that were retrieved (Bulk) and compared
        /// once S3 had them back; they are among `sampled`.
        public var archivedSampled = 0
        /// Of those, the retrievals the drill asked for (one under way already is not asked again).
        public var retrievalsRequested = 0
        /// The tamper report, when the backup records an Object Lock policy.
        public var lock: LockAudit.Findings?

        /// Whether the backup holds exactly what the primary holds, as far as the drill could see, and (under Object
        /// Lock) holds it locked with no delete marker nobody's run placed.
        public var passed: Bool { comparison.differences == 0 && bodyMismatches.isEmpty && lock?.clean != false }

        /// `drill passed: 0 keys differ, 100 bodies sampled, 0 different`: one line.
        public var summary: String {
            "drill \(passed ? "passed" : "FAILED"): \(comparison.differences) keys differ (of \(comparison.sourceObjects) in the primary), "
                + "\(sampled.count) bodies sampled, \(bodyMismatches.count) different"
                + (lock.map { ", \($0.unlocked.total + $0.short.total) versions locked too little, "
                    + "\($0.foreignMarkers.total) foreign delete markers" } ?? "")
        }

        /// Lines for a person: the counts, then the first keys (20) of each kind that differs.
        public var text: String {
            let c = comparison
            var lines = [
                "drill \(passed ? "passed" : "FAILED"): primary \(c.sourceObjects) objects (\(c.sourceBytes) bytes), backup \(c.backupObjects) objects (\(c.backupBytes) bytes)",
                "  keys: \(c.same) equal, \(c.missing) missing in the backup, \(c.changed) different, \(c.extra) only in the backup",
            ]
            lines += differingKeys.lines().map { "    " + $0 }
            lines.append("  compared: \(c.same - c.sameByRecord) equal by size and ETag, \(c.sameByRecord) as the catalog recorded "
                + "their copy; \(c.unproven) of the different have the same size, other ETags and no catalog row")
            lines.append("  bodies: \(sampled.count) sampled, \(bodyMismatches.count) different"
                + (bodyMismatches.isEmpty ? "" : ": " + bodyMismatches.prefix(10).map(\.debugDescription).joined(separator: ", "))
                + (archivedSampled == 0 ? "" : "; \(archivedSampled) of them archived in the backup, retrieved to be compared "
                    + "(\(retrievalsRequested) retrieval(s) asked)")
                + (archivedNotSampled == 0 ? "" : "; \(archivedNotSampled) archived, not sampled (unreadable until retrieved; "
                    + "compared by key, size and ETag)"))
            lines += (lock?.lines ?? []).map { "  " + $0 }
            return lines.joined(separator: "\n")
        }
    }

    /// The planner whose diff compares the two sides (its `catalog` the queue's catalog of copies).
    public var planner: Planner
    /// How chosen objects archived in the backup are retrieved to be compared (`--sample-archived`); nil: they are
    /// counted as not sampled.
    public var sampleArchived: ArchivedSampling?
    /// The tamper report to add; nil: none (the backup records no Object Lock policy).
    public var lockAudit: LockAudit?

    /// Retrieving the backup's archived objects among those chosen, and waiting for them.
    public struct ArchivedSampling: Sendable {
        /// The retrieval (a drill asks for Bulk: the cheapest, and a drill can wait).
        public var retrieval = ArchiveRetrieval(tier: .bulk, days: 1)
        /// The first wait before checking; it doubles with each check, up to 30 minutes.
        public var firstCheck: Duration
        /// Hears how many wait, at each check.
        public var log: @Sendable (String) -> Void

        /// Bulk retrievals, checked first after `firstCheck`, told to `log`.
        public init(firstCheck: Duration, log: @escaping @Sendable (String) -> Void) {
            self.firstCheck = firstCheck
            self.log = log
        }
    }

    /// A drill over the run parameters' two sides.
    public init(parameters: RunParameters, environment: [String: String]) throws {
        planner = try Planner(parameters: Drill.comparing(parameters), environment: environment)
    }

    /// A drill over the run parameters' two sides, reached through `source` and `backup`.
    public init(parameters: RunParameters, source: any ObjectStore, backup: any ObjectStore) throws {
        planner = try Planner(parameters: Drill.comparing(parameters), source: source, backup: backup)
    }

    /// Adds the tamper report when the backup records an Object Lock policy, its delete markers judged by the
    /// planner's catalog. Returns what to warn of: a key not allowed to read the policy leaves the report out.
    public mutating func auditLocks() async throws -> String? {
        let bucket = planner.backupURL.bucket
        do {
            guard let policy = try await LockPolicy.read(bucket: bucket, from: planner.backup) else { return nil }
            lockAudit = LockAudit(policy: policy, backup: planner.backup, url: planner.backupURL, pair: planner.parameters.pair,
                                  catalog: planner.catalog)
            return nil
        } catch let error as S3Error where error.code == "AccessDenied" {
            return "s3://\(bucket)'s Object Lock policy could not be read (\(error.operation ?? "GetBucketTagging"): AccessDenied), so "
                + "the drill leaves out the tamper report; give this key s3:GetBucketTagging and s3:GetBucketObjectLockConfiguration "
                + "(ops/iam/backup-role.json)"
        }
    }

    /// The parameters a drill plans with: keys only in the backup reach the plan's sink as deletes, and only when
    /// the plan mirrors deletes.
    private static func comparing(_ parameters: RunParameters) -> RunParameters {
        var parameters = parameters
        parameters.mirrorDeletes = true
        return parameters
    }

    /// Compares every key, keeping the first `keep` differing keys of each kind (`KeySample.textLimit` for a
    /// report, `KeySample.jsonLimit` for JSON: memory stays bounded however many differ), then `sample` random
    /// objects' bodies.
    public func run(sample: Int, keep: Int = KeySample.textLimit) async throws -> Result {
        // Missing and different keys reach the sink alike, as copies: keep enough of them to find both kinds.
        let plan = PreviewSink(sampleSize: max(keep, DifferingKeys.textWindow))
        let comparison = try await planner.planAll(into: plan)
        let differing = try await DifferingKeys.classifying(copies: plan.samples.copies, extras: plan.samples.deletes, keep: keep,
                                                            findings: comparison, backup: planner.backup, at: planner.backupURL)
        let (keys, archivedInSource) = try await randomKeys(sample)
        let outcome = LockedBox<(mismatches: [String], archived: Set<String>, retrievable: [(String, Body)])>(([], [], []))
        try await forEachConcurrently(keys, width: 4) { key in
            async let left = digest(planner.source, planner.sourceURL, key)
            async let right = digest(planner.backup, planner.backupURL, key)
            switch (try await left, try await right) {
            case let (.digest(primary), .archived) where sampleArchived != nil:
                outcome.mutate { $0.retrievable.append((key, .digest(primary))) }
            case (.archived, _), (_, .archived): outcome.mutate { _ = $0.archived.insert(key) }
            case let (a, b) where a != b: outcome.mutate { $0.mismatches.append(key) }
            default: break
            }
        }
        var found = outcome.value
        var retrievals = 0
        if let sampleArchived, !found.retrievable.isEmpty {
            let compared = try await compareRetrieved(found.retrievable, sampleArchived)
            found.mismatches += compared.mismatches
            retrievals = compared.requested
        }
        var result = Result(comparison: comparison, differingKeys: differing, sampled: keys.filter { !found.archived.contains($0) },
                            bodyMismatches: found.mismatches.sorted())
        result.archivedNotSampled = archivedInSource + found.archived.count
        result.archivedSampled = found.retrievable.count
        result.retrievalsRequested = retrievals
        result.lock = try await lockAudit?.run(keep: keep)
        return result
    }

    /// Retrieves the backup's archived objects among the chosen `keys` (each with the primary's body) and compares
    /// each once S3 has it back, checking at a growing interval; the keys that differ, and the retrievals asked for.
    private func compareRetrieved(_ keys: [(String, Body)], _ sampling: ArchivedSampling) async throws
        -> (mismatches: [String], requested: Int) {
        let archives = ArchiveCheck(source: planner.backup, sourceURL: planner.backupURL, retrieval: sampling.retrieval)
        var waiting = keys, mismatches: [String] = [], requested = 0, checks = 0
        while true {
            var still: [(String, Body)] = []
            for (key, primary) in waiting {
                switch try await archives.readiness(key: key, versionID: nil) {
                case .readable, .notRetrieved:
                    if try await digest(planner.backup, planner.backupURL, key) != primary { mismatches.append(key) }
                case .waiting(let request):
                    still.append((key, primary))
                    if request != nil { requested += 1 }
                case .gone:
                    mismatches.append(key)
                }
            }
            waiting = still
            guard !waiting.isEmpty else { return (mismatches, requested) }
            checks += 1
            let wait = ArchiveCheck.nextCheck(after: checks, first: sampling.firstCheck)
            sampling.log("drill: waiting for \(waiting.count) sampled archived object(s) that S3 is retrieving "
                + "(\(RetrievalPrices.typicalTimes(sampling.retrieval.tier))); next check in \(Int(wait.seconds)) s")
            try await Task.sleep(for: wait)
        }
    }

    /// `count` keys of the source's readable objects chosen uniformly at random in one pass (reservoir sampling:
    /// memory holds `count` keys, whatever the bucket's size), and how many objects it lists in an archive class.
    private func randomKeys(_ count: Int) async throws -> (keys: [String], archived: Int) {
        guard count > 0 else { return ([], 0) }
        var chosen: [String] = []
        var seen = 0, archived = 0
        for try await page in planner.source.listObjects(bucket: planner.sourceURL.bucket, prefix: planner.sourceURL.prefix) {
            for object in page.objects {
                if StorageClass.archived.contains(object.storageClass) {
                    archived += 1
                    continue
                }
                seen += 1
                let key = try Planner.relative(object.key, in: planner.sourceURL, listedUnder: planner.sourceURL.prefix)
                if chosen.count < count {
                    chosen.append(key)
                } else {
                    let slot = Int.random(in: 0..<seen)
                    if slot < count { chosen[slot] = key }
                }
            }
        }
        return (chosen, archived)
    }

    /// What reading one side's body found.
    private enum Body: Equatable {
        /// Its SHA-256.
        case digest([UInt8])
        /// No such object.
        case missing
        /// Archived, unreadable until retrieved.
        case archived
    }

    /// The SHA-256 of an object's body, streamed; or that it does not exist, or is archived.
    private func digest(_ client: any ObjectStore, _ url: S3URL, _ key: String) async throws -> Body {
        let sink = HashSink()
        do {
            try await client.getObject(bucket: url.bucket, key: url.prefix + key, to: sink)
        } catch let error as S3Error where error.code == "NoSuchKey" {
            return .missing
        } catch let error as S3Error where error.isArchived {
            return .archived
        }
        return .digest(sink.digest ?? [])
    }
}

/// Hashes a body as it streams in.
final class HashSink: BodySink {
    private let result = LockedBox<[UInt8]?>(nil)
    var digest: [UInt8]? { result.value }
    func makeWriter() throws -> any BodyWriter { Writer(sink: self) }

    private struct Writer: BodyWriter {
        let sink: HashSink
        var hasher = HasherBox()
        mutating func write(_ bytes: UnsafeRawBufferPointer) throws { hasher.update(bytes) }
        mutating func finish() throws {
            let digest = hasher.finish()
            sink.result.mutate { $0 = digest }
        }
    }
}

/// A SHA-256 hasher a struct can hold (the hasher itself cannot be copied).
final class HasherBox {
    private var hasher: Digest.Hasher? = Digest.Hasher.sha256()
    func update(_ bytes: UnsafeRawBufferPointer) { hasher?.update(bytes) }
    func finish() -> [UInt8] { hasher.take()?.finish() ?? [] }
}
