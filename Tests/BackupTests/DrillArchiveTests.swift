@testable import Backup
import S3
import TestSupport
import Testing

/// The drill never fails because an object is archived: archived objects are compared by key, size and ETag, and
/// bodies are sampled among the objects both sides can read.
@Suite("the drill over archived objects, against the in-memory store", .timeLimit(.minutes(1)))
struct DrillArchiveTests {
    @Test func archivedObjectsAreComparedButNotSampled() async throws {
        let fixture = StoreFixture()
        let glacier = WriteOptions(storageClass: "GLACIER")
        try fixture.source("warm", "w")
        try fixture.source("cold-in-primary", "p", options: glacier)
        try fixture.source("cold-in-backup", "b")
        try fixture.backup("warm", "w")
        try fixture.backup("cold-in-primary", "p")
        try fixture.store.put("backup", "bk/cold-in-backup", Array("b".utf8), options: WriteOptions(storageClass: "DEEP_ARCHIVE"))

        let drill = try Drill(parameters: fixture.parameters, source: fixture.store, backup: fixture.store)
        let result = try await drill.run(sample: 10)
        #expect(result.passed, "\(result.text)")
        #expect(result.comparison.same == 3)
        #expect(result.sampled == ["warm"], "only what both sides can read is sampled")
        #expect(result.archivedNotSampled == 2)
        #expect(result.text.contains("1 sampled, 0 different; 2 archived, not sampled"), "\(result.text)")

        // Once retrieved, it is sampled as any other.
        try fixture.store.restore(bucket: "backup", key: "bk/cold-in-backup")
        #expect(try await drill.run(sample: 10).archivedNotSampled == 1)
    }
}
