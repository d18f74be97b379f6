import Foundation
import Queue
import S3

/// What planning found in a unit (or a whole run): the numbers the report and the delete cap work from.
public struct PlanFindings: Codable, Sendable, Equatable {
    /// Objects and bytes listed in the source.
    public var sourceObjects = 0, sourceBytes: Int64 = 0
    /// Objects and bytes listed in the backup.
    public var backupObjects = 0, backupBytes: Int64 = 0
    /// Objects only in the source.
    public var missing = 0
    /// Objects in both with a different size or ETag.
    public var changed = 0
    /// Of the missing and changed, those whose source still lists as the catalog says it was copied: the copy was
    /// changed or removed in the destination behind s3backup's back.
    public var changedInBackup = 0
    /// Of the changed, those of the same size whose ETags differ and that no catalog row explains: a worker compares
    /// their full-object checksums (one HeadObject per side) and adopts an equal pair instead of copying it.
    public var unproven = 0
    /// Of the changed, those whose size differs (the rest: same size, different ETag).
    public var changedSize = 0
    /// Bytes to copy (missing + changed).
    public var copyBytes: Int64 = 0
    /// Objects equal on both sides (same size and ETag, or as the catalog recorded their copy).
    public var same = 0
    /// Of the same, those whose ETags differ as the catalog recorded when they were copied (another part layout,
    /// other encryption); the rest compared by equal ETags.
    public var sameByRecord = 0
    /// Objects only in the backup.
    public var extra = 0
    /// Of the missing and changed, those the source wrote at or after `Planner.recentSince` (a verification
    /// counts them as explained: written while the run went on).
    public var recent = 0
    /// The destination's current versions once the run's copies are made, by storage class: those it holds and keeps
    /// (at the class they list with) and the copies (at the run's `storageClass`); its extra objects are apart.
    public var kept: [String: StorageTally] = [:]
    /// The objects only the destination holds, by storage class: deleted by the run, unless deletes are refused or
    /// the run does not delete.
    public var extraByClass: [String: StorageTally] = [:]
    /// The regions the source's and the destination's buckets live in (where copies cross between regions, S3
    /// bills the transfer); nil in findings stored before they were recorded.
    public var sourceRegion: String?, destinationRegion: String?

    /// No findings.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case sourceObjects, sourceBytes, backupObjects, backupBytes, missing, changed, changedInBackup, unproven, changedSize
        case copyBytes, same
        case sameByRecord, extra, recent, kept, extraByClass, sourceRegion, destinationRegion
    }

    /// Decodes findings; a count that findings stored by an earlier version lack is 0.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func count<T: Decodable & AdditiveArithmetic>(_ key: CodingKeys) throws -> T {
            try container.decodeIfPresent(T.self, forKey: key) ?? .zero
        }
        sourceObjects = try count(.sourceObjects)
        sourceBytes = try count(.sourceBytes)
        backupObjects = try count(.backupObjects)
        backupBytes = try count(.backupBytes)
        missing = try count(.missing)
        changed = try count(.changed)
        changedInBackup = try count(.changedInBackup)
        unproven = try count(.unproven)
        changedSize = try count(.changedSize)
        copyBytes = try count(.copyBytes)
        same = try count(.same)
        sameByRecord = try count(.sameByRecord)
        extra = try count(.extra)
        recent = try count(.recent)
        kept = try container.decodeIfPresent([String: StorageTally].self, forKey: .kept) ?? [:]
        extraByClass = try container.decodeIfPresent([String: StorageTally].self, forKey: .extraByClass) ?? [:]
        sourceRegion = try container.decodeIfPresent(String.self, forKey: .sourceRegion)
        destinationRegion = try container.decodeIfPresent(String.self, forKey: .destinationRegion)
    }

    /// Differences between the buckets: what a run would change.
    public var differences: Int { missing + changed + extra }

    /// Adds another unit's findings.
    public mutating func add(_ other: PlanFindings) {
        sourceObjects += other.sourceObjects
        sourceBytes += other.sourceBytes
        backupObjects += other.backupObjects
        backupBytes += other.backupBytes
        missing += other.missing
        changed += other.changed
        changedInBackup += other.changedInBackup
        unproven += other.unproven
        changedSize += other.changedSize
        copyBytes += other.copyBytes
        same += other.same
        sameByRecord += other.sameByRecord
        extra += other.extra
        recent += other.recent
        kept.merge(other.kept) { $0.adding($1) }
        extraByClass.merge(other.extraByClass) { $0.adding($1) }
        sourceRegion = sourceRegion ?? other.sourceRegion
        destinationRegion = destinationRegion ?? other.destinationRegion
    }
}

/// Receives what the planner decides: the queue for a real plan, counters for a dry run or a verification.
public protocol PlanSink: Sendable {
    /// A batch of objects to copy, from one unit.
    func copy(_ batch: [CopyItem], unit: Unit) async throws
    /// A batch of backup keys to delete (≤ 1,000), from one unit.
    func delete(_ keys: [String], unit: Unit) async throws
    /// A batch of current backup versions to lock (≤ 1,000), from one unit: equal to the primary's, no catalog row.
    func lock(_ versions: [LockBatch.Version], unit: Unit) async throws
}

extension PlanSink {
    /// Previews and checks, which count copies and deletes, pass locks over.
    public func lock(_ versions: [LockBatch.Version], unit: Unit) async throws {}
}

/// Lists the source and the backup, split into units planned in parallel, and merge-diffs each unit.
public struct Planner: Sendable {
    /// The run's parameters.
    public let parameters: RunParameters
    let source: any ObjectStore
    let backup: any ObjectStore
    let sourceURL: S3URL
    let backupURL: S3URL
    /// Units listed at once (each lists both sides).
    public var width = 8
    /// Split the key space into about this many units before planning, going at most `maxDepth` levels down.
    public var targetUnits = 64
    /// How deep discovery goes.
    public var maxDepth = 2
    /// Source objects written at or after this time (S3's ISO 8601 form) are counted as `recent`.
    public var recentSince: String?
    /// The queue whose catalog of copies decides objects whose ETags differ; nil where no queue is at hand (then
    /// such objects count as changed, unproven).
    public var catalog: (any TaskQueue)?

    /// A planner for `parameters`, its clients configured from the stored sides and `environment`; `observer`
    /// (the fleet's pacer, when planning shares a queue with workers) sees their requests.
    public init(parameters: RunParameters, environment: [String: String], observer: (any RequestObserver)? = nil) throws {
        try self.init(parameters: parameters, source: try parameters.source.client(environment: environment, observer: observer),
                      backup: try parameters.backup.client(environment: environment, observer: observer))
    }

    /// A planner for `parameters` with stores (clients) for both sides; locations that overlap are refused.
    public init(parameters: RunParameters, source: any ObjectStore, backup: any ObjectStore) throws {
        try parameters.checkApart(source: source, backup: backup)
        self.parameters = parameters
        self.source = source
        self.backup = backup
        sourceURL = try parameters.source.location()
        backupURL = try parameters.backup.location()
    }

    /// How the key space is split, and the source's whole listing when it was small enough to keep.
    public struct Discovery: Sendable {
        /// The units.
        public var units: [Unit]
        /// For a source of at most `splitThreshold` objects: its listing, already read (the single unit's source side).
        public var sourcePages: [[ListedObject]]?
    }

    /// Reads up to `splitThreshold` objects of the source: a source that small is one unit (its listing is kept
    /// for planning: delimiter listings only pay off for big buckets); a bigger one is split by `/` (delimiter
    /// discovery on both sides) into units listed in parallel.
    public func discover() async throws -> Discovery {
        // A point-in-time source is read from its versions: a prefix may exist there only as old versions and
        // delete markers, which a split by current objects would never see. One unit, listed whole.
        if parameters.asOf != nil { return Discovery(units: [.deep("")], sourcePages: nil) }
        var pages: [[ListedObject]] = []
        var count = 0
        for try await page in source.listObjects(bucket: sourceURL.bucket, prefix: sourceURL.prefix) {
            pages.append(try page.objects.map {
                ListedObject(key: try Planner.relative($0.key, in: sourceURL, listedUnder: sourceURL.prefix), size: $0.size,
                             etag: $0.etag, lastModified: $0.lastModified, storageClass: $0.storageClass)
            })
            count += page.objects.count
            if count > parameters.splitThreshold { return Discovery(units: try await splitUnits(), sourcePages: nil) }
        }
        // A point-in-time source is read from its versions, not from this listing of current objects.
        return Discovery(units: [.deep("")], sourcePages: parameters.asOf == nil ? pages : nil)
    }

    /// Splits the key space by `/` on both sides, up to `maxDepth` levels or about `targetUnits` units.
    private func splitUnits() async throws -> [Unit] {
        var units: [Unit] = [.deep("")]
        for _ in 0..<maxDepth where units.count < targetUnits {
            let current = units
            let expanded = LockedBox<[Int: [Unit]]>([:])
            try await forEachConcurrently(Array(current.enumerated()), width: width) { index, unit in
                guard case .deep(let path) = unit else { return expanded.mutate { $0[index] = [unit] } }
                async let left = prefixes(source, sourceURL, below: path)
                async let right = prefixes(backup, backupURL, below: path)
                // By bytes: Swift's String equality would merge a prefix's NFC and NFD forms into one unit.
                let children = Set((try await left + right).map { Array($0.utf8) }).sorted { $0.lexicographicallyPrecedes($1) }
                    .map { String(decoding: $0, as: UTF8.self) }
                expanded.mutate { $0[index] = children.isEmpty ? [unit] : [.flat(path)] + children.map { .deep($0) } }
            }
            let next = expanded.value
            units = (0..<current.count).flatMap { next[$0]! }
            if units.count == current.count { break }
        }
        return units
    }

    /// Common prefixes directly under `path`, relative to the side's prefix.
    private func prefixes(_ client: any ObjectStore, _ url: S3URL, below path: String) async throws -> [String] {
        var found: [String] = []
        let requested = url.prefix + path
        for try await page in client.listObjects(bucket: url.bucket, prefix: requested, delimiter: "/") {
            found += try page.commonPrefixes.map { try Planner.relative($0, in: url, listedUnder: requested) }
        }
        return found
    }

    /// Plans every unit of a fresh discovery, in parallel, into `sink`; the totals.
    public func planAll(into sink: any PlanSink) async throws -> PlanFindings {
        let discovery = try await discover()
        let total = LockedBox(PlanFindings())
        try await forEachConcurrently(discovery.units, width: width) { unit in
            let findings = try await plan(unit, into: sink, sourcePages: discovery.sourcePages)
            total.mutate { $0.add(findings) }
        }
        return total.value
    }

    /// Diffs one unit, sending copies and deletes to `sink` in bounded batches. `sourcePages`, the source's
    /// listing when discovery kept it, spares listing the source again.
    public func plan(_ unit: Unit, into sink: any PlanSink, sourcePages: [[ListedObject]]? = nil) async throws -> PlanFindings {
        let sourceSide: KeyDiff.Pages
        if let sourcePages, unit == .deep("") {
            let remaining = LockedBox(sourcePages[...])
            sourceSide = { remaining.mutate { $0.popFirst() } }
        } else if let asOf = parameters.asOf {
            sourceSide = pointInTimePages(source, sourceURL, unit, asOf: asOf)
        } else {
            sourceSide = pages(source, sourceURL, unit)
        }
        var diff = KeyDiff(source: sourceSide, backup: pages(backup, backupURL, unit))
        // Catalog rows, this way (a backup) and the other (a restore into the primary the backup was copied from).
        let rows = catalog.map { (this: CatalogWindow(queue: $0, pair: parameters.pair),
                                  reversed: CatalogWindow(queue: $0, pair: parameters.reversedPair)) }
        let only = parameters.onlyKeys.map { Set($0.map { Array($0.utf8) }) }
        var findings = PlanFindings()
        var copies: [CopyItem] = [], copyBytes: Int64 = 0, deletes: [String] = [], locks: [LockBatch.Version] = []
        func flushCopies() async throws {
            if !copies.isEmpty { try await sink.copy(copies, unit: unit) }
            copies = []
            copyBytes = 0
        }
        func queueCopy(_ object: ListedObject, compareWith backupETag: ETag? = nil) async throws {
            findings.copyBytes += object.size
            // Only a verification sets `recentSince`: it names late arrivals by their time; tasks stay as they were.
            let item = CopyItem(key: object.key, size: object.size, etag: object.etag, versionID: object.versionID,
                                lastModified: recentSince == nil ? nil : object.lastModified,
                                storageClass: StorageClass.mayBeArchived(object.storageClass) ? object.storageClass : nil,
                                backupETag: backupETag)
            if object.size >= parameters.batchBytes { return try await sink.copy([item], unit: unit) }
            if copyBytes + object.size > parameters.batchBytes { try await flushCopies() }
            copies.append(item)
            copyBytes += object.size
            if copies.count >= parameters.batchObjects { try await flushCopies() }
        }
        while let decision = try await diff.next() {
            if let only {
                switch decision {
                case .missing(let object), .changed(let object, _), .same(let object, _), .extra(let object):
                    guard only.contains(Array(object.key.utf8)) else { continue }
                }
            }
            switch decision {
            case .missing(let object):
                findings.missing += 1
                findings.kept[parameters.storageClass, default: StorageTally()].add(size: object.size)
                if let rows, try await rows.this.row(for: object.key)?.sourceMatches(size: object.size, etag: object.etag.value) == true {
                    findings.changedInBackup += 1
                }
                if let since = recentSince, object.lastModified >= since { findings.recent += 1 }
                findings.count(source: object)
                try await queueCopy(object)
            case .changed(let object, let old):
                findings.count(source: object)
                findings.count(backup: old)
                let verdict = try await Planner.compare(object, backup: old, by: rows)
                if verdict == .same {
                    findings.same += 1
                    findings.sameByRecord += 1
                    findings.kept[old.storageClass, default: StorageTally()].add(size: old.size)
                    continue
                }
                findings.changed += 1
                findings.kept[parameters.storageClass, default: StorageTally()].add(size: object.size)
                if object.size != old.size { findings.changedSize += 1 }
                if verdict == .changedInBackup { findings.changedInBackup += 1 }
                if verdict == .unproven { findings.unproven += 1 }
                if let since = recentSince, object.lastModified >= since { findings.recent += 1 }
                try await queueCopy(object, compareWith: verdict == .unproven ? old.etag : nil)
            case .same(let object, let copy):
                findings.same += 1
                findings.count(source: object)
                findings.count(backup: copy)
                findings.kept[copy.storageClass, default: StorageTally()].add(size: copy.size)
                // Under Object Lock a version without a row would never be extended: it is locked and given one.
                guard parameters.lock != nil, let rows, try await rows.this.row(for: object.key) == nil else { continue }
                let adoption = LockBatch.Adoption(size: object.size, sourceETag: object.etag.value, backupETag: copy.etag.value)
                locks.append(.init(key: object.key, adopt: adoption))
                if locks.count == BackupPlanning.lockBatch {
                    try await sink.lock(locks, unit: unit)
                    locks = []
                }
            case .extra(let object):
                findings.extra += 1
                findings.count(backup: object)
                findings.extraByClass[object.storageClass, default: StorageTally()].add(size: object.size)
                guard parameters.mirrorDeletes else { continue }
                deletes.append(object.key)
                if deletes.count == S3Client.deleteBatchLimit {
                    try await sink.delete(deletes, unit: unit)
                    deletes = []
                }
            }
        }
        try await flushCopies()
        if !deletes.isEmpty { try await sink.delete(deletes, unit: unit) }
        if !locks.isEmpty { try await sink.lock(locks, unit: unit) }
        // Asked once the unit is listed: by then each client knows its bucket's region (S3Client asks S3 once).
        findings.sourceRegion = try await source.region(of: sourceURL.bucket)
        findings.destinationRegion = try await backup.region(of: backupURL.bucket)
        return findings
    }

    /// What the catalog says of an object listed with another size or ETag in the backup.
    enum CatalogVerdict: Equatable {
        /// Both sides list as the catalog recorded a copy, this way (a backup) or the other (a restore into the
        /// primary the backup was copied from).
        case same
        /// The source lists as it was copied, the backup not as the copy made it: changed behind s3backup's back.
        case changedInBackup
        /// The source changed since it was copied, or the sizes differ.
        case changed
        /// Same size, no row: only the two objects' checksums can tell.
        case unproven
    }

    /// The catalog's verdict on `object` and the backup's `backup` (same key, another size or ETag), from `rows`
    /// read a window at a time.
    static func compare(_ object: ListedObject, backup: ListedObject,
                        by rows: (this: CatalogWindow, reversed: CatalogWindow)?) async throws -> CatalogVerdict {
        guard let rows else { return object.size == backup.size ? .unproven : .changed }
        let row = try await rows.this.row(for: object.key)
        if row?.matches(size: object.size, source: object.etag.value, backup: backup.etag.value) == true { return .same }
        // A restore into the primary the backup was copied from wrote a row the other way round (the backup's row,
        // written before, still names the primary's ETags of then).
        if let reversed = try await rows.reversed.row(for: object.key),
           reversed.matches(size: object.size, source: backup.etag.value, backup: object.etag.value) {
            return .same
        }
        if let row { return row.sourceMatches(size: object.size, etag: object.etag.value) ? .changedInBackup : .changed }
        return object.size == backup.size ? .unproven : .changed
    }

    /// The unit's listing on one side as pages of entries relative to the side's prefix.
    private func pages(_ client: any ObjectStore, _ url: S3URL, _ unit: Unit) -> KeyDiff.Pages {
        let flat: Bool
        if case .flat = unit { flat = true } else { flat = false }
        let requested = url.prefix + unit.path
        let box = LockedBox(client.listObjects(bucket: url.bucket, prefix: requested, delimiter: flat ? "/" : nil).makeAsyncIterator())
        return {
            var iterator = box.value
            let page = try await iterator.next()
            box.mutate { $0 = iterator }
            return try page.map {
                try $0.objects.map {
                    ListedObject(key: try Planner.relative($0.key, in: url, listedUnder: requested), size: $0.size, etag: $0.etag,
                                 lastModified: $0.lastModified, storageClass: $0.storageClass)
                }
            }
        }
    }

    /// The unit as it was at `asOf`, from ListObjectVersions: for each key the newest version written at or before
    /// that moment, or nothing when that is a delete marker or the key did not exist yet. A key's versions may
    /// straddle two pages, so the last key of each page waits for the next.
    private func pointInTimePages(_ client: any ObjectStore, _ url: S3URL, _ unit: Unit, asOf: String) -> KeyDiff.Pages {
        let flat: Bool
        if case .flat = unit { flat = true } else { flat = false }
        let requested = url.prefix + unit.path
        let state = LockedBox((iterator: client.listObjectVersions(bucket: url.bucket, prefix: requested,
                                                                   delimiter: flat ? "/" : nil).makeAsyncIterator(),
                               pending: [ObjectVersion](), finished: false))
        func choose(_ group: ArraySlice<ObjectVersion>) throws -> ListedObject? {
            // The group is newest first (the listing's order, kept by a stable sort), so versions written in the same
            // second keep S3's order.
            guard let chosen = group.first(where: { $0.lastModified <= asOf }),
                  !chosen.isDeleteMarker else { return nil }
            return ListedObject(key: try Planner.relative(chosen.key, in: url, listedUnder: requested), size: chosen.size,
                                etag: chosen.etag ?? .none, lastModified: chosen.lastModified, versionID: chosen.versionID,
                                storageClass: chosen.storageClass)
        }
        return {
            while true {
                var current = state.value
                if current.finished && current.pending.isEmpty { return nil }
                var entries = current.pending
                if !current.finished, let page = try await current.iterator.next() {
                    entries += page.versions
                } else {
                    current.finished = true
                }
                // Keep the last key's versions back unless the listing is over: more may follow.
                var cut = entries.count
                if !current.finished, let last = entries.last {
                    while cut > 0, entries[cut - 1].key.utf8.elementsEqual(last.key.utf8) { cut -= 1 }
                }
                current.pending = Array(entries[cut...])
                var out: [ListedObject] = []
                var start = 0
                while start < cut {
                    var end = start + 1
                    while end < cut, entries[end].key.utf8.elementsEqual(entries[start].key.utf8) { end += 1 }
                    if let object = try choose(entries[start..<end]) { out.append(object) }
                    start = end
                }
                state.mutate { $0 = current }
                if !out.isEmpty || (current.finished && current.pending.isEmpty) { return out.isEmpty ? nil : out }
            }
        }
    }

    /// `key`, from a listing of `url`'s bucket under `requested`, without `url`'s prefix. A key outside what was
    /// asked for (a broken or hostile server) is refused, so nothing outside a run's prefix is ever copied or deleted.
    static func relative(_ key: String, in url: S3URL, listedUnder requested: String) throws -> String {
        guard key.utf8.starts(with: requested.utf8) else {
            throw BackupError.keyOutsidePrefix(bucket: url.bucket, prefix: requested, key: key)
        }
        return relative(key, to: url.prefix)
    }

    /// `key` without the leading `prefix`, which it starts with byte for byte.
    static func relative(_ key: String, to prefix: String) -> String {
        String(decoding: key.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
    }
}

extension PlanFindings {
    mutating func count(source object: ListedObject) {
        sourceObjects += 1
        sourceBytes += object.size
    }

    mutating func count(backup object: ListedObject) {
        backupObjects += 1
        backupBytes += object.size
    }
}
