import ArgumentParser
import Foundation
import Queue

extension S3Backup {
    /// `s3backup prune`: keeps the queue file from growing under a nightly schedule.
    struct Prune: S3BackupCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete finished runs older than N days, give their space back, truncate the write-ahead log.",
            discussion: "Example: s3backup prune --db /var/lib/s3backup/queue.db --older-than-days 30\n\n"
                + ConfigFile.helpText(for: "prune") + "\n\n"
                + ExitStatus.helpText(for: ExitStatus.everyCommand)
        )

        @OptionGroup var queue: QueueOptions
        @Option(help: "Keep runs that finished within this many days.") var olderThanDays = 30

        func validate() throws {
            guard olderThanDays >= 0 else { throw ValidationError("--older-than-days must be 0 or more") }
        }

        func execute() async throws {
            let store = try queue.openExisting()
            let before = try await store.storedBytes()
            let removed = try await store.prune(finishedBefore: Date().addingTimeInterval(-Double(olderThanDays) * 86_400))
            let report = PruneReport(removedRuns: removed, bytesBefore: before, bytesAfter: try await store.storedBytes())
            try queue.emit(report) {
                "removed \(removed) run\(removed == 1 ? "" : "s"); queue \(report.bytesBefore) → \(report.bytesAfter) bytes"
            }
        }
    }
}

/// What `prune --json` prints.
private struct PruneReport: Encodable {
    let removedRuns: Int
    let bytesBefore: Int64
    let bytesAfter: Int64
}
