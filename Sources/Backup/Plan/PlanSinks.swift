import Queue
import S3

/// Sends a plan to the queue: copies ready at once (workers start while planning goes on), deletes held until
/// the planner knows the totals and the delete cap allows them.
struct QueueSink: PlanSink {
    let queue: any TaskQueue
    let run: RunID
    /// Called after each batch of copies is enqueued (the runner starts its workers on the first).
    let onCopies: @Sendable () -> Void

    func copy(_ batch: [CopyItem], unit: Unit) async throws {
        let task = NewTask(kind: TaskKind.copy, uniqueKey: Payload.uniqueKey(kind: TaskKind.copy, unit: unit.description, keys: batch.map(\.key)),
                           payload: try Payload.encode(CopyBatch(objects: batch)), unit: unit.description)
        try await queue.enqueue([task], run: run, held: false)
        onCopies()
    }

    func delete(_ keys: [String], unit: Unit) async throws {
        let task = NewTask(kind: TaskKind.delete, uniqueKey: Payload.uniqueKey(kind: TaskKind.delete, unit: unit.description, keys: keys),
                           payload: try Payload.encode(DeleteBatch(keys: keys)), unit: unit.description)
        try await queue.enqueue([task], run: run, held: true)
    }

    func lock(_ versions: [LockBatch.Version], unit: Unit) async throws {
        let task = NewTask(kind: TaskKind.extend, uniqueKey: Payload.uniqueKey(kind: TaskKind.extend, unit: unit.description,
                                                                              keys: versions.map(\.key)),
                           payload: try Payload.encode(LockBatch(versions: versions)), unit: unit.description)
        try await queue.enqueue([task], run: run, held: false)
        onCopies()
    }
}

/// Collects a plan without acting on it: `--dryrun`, and the verification after a run.
public final class PreviewSink: PlanSink {
    private let kept = LockedBox<(copies: [String], deletes: [String])>(([], []))
    private let archived = LockedBox<[String: (objects: Int, bytes: Int64)]>([:])
    /// How many keys of each kind to keep for display.
    public let sampleSize: Int

    /// A sink keeping the first `sampleSize` keys of each kind.
    public init(sampleSize: Int = 10) { self.sampleSize = sampleSize }

    /// Keeps the first keys to copy, and counts those that may be archived by storage class.
    public func copy(_ batch: [CopyItem], unit: Unit) async throws {
        kept.mutate { $0.copies += batch.prefix(max(0, sampleSize - $0.copies.count)).map(\.key) }
        archived.mutate { counts in
            for item in batch {
                guard let storageClass = item.storageClass else { continue }
                counts[storageClass, default: (0, 0)].objects += 1
                counts[storageClass, default: (0, 0)].bytes += item.size
            }
        }
    }

    /// The objects to copy that may be archived: storage class → objects and bytes.
    public var archivedCounts: [String: (objects: Int, bytes: Int64)] { archived.value }

    /// Keeps the first keys to delete.
    public func delete(_ keys: [String], unit: Unit) async throws {
        kept.mutate { $0.deletes += keys.prefix(max(0, sampleSize - $0.deletes.count)) }
    }

    /// The first keys that would be copied and deleted (relative to the prefixes), in planning order.
    public var samples: (copies: [String], deletes: [String]) { kept.value }
}

/// Task kinds in the queue.
enum TaskKind {
    static let copy = "copy"
    static let delete = "delete"
    /// Extends Object Lock retentions that come due (`LockBatch`).
    static let extend = "extend"
}

