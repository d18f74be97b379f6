import Foundation
@testable import S3
import TestSupport
import Testing

/// RestoreObject and the headers that tell an archived object's state, as AWS documents them.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_RestoreObject.html
@Suite("RestoreObject and x-amz-restore, scripted", .timeLimit(.minutes(1)))
struct RestoreObjectTests {
    private func body(_ request: HTTPRequest) -> String {
        (request.body as? BytesBody).map { String(decoding: $0.bytes, as: UTF8.self) } ?? ""
    }

    @Test(arguments: [(ScriptedTransport.Answer.status(202), RetrievalRequest.accepted),
                      (.status(200), .alreadyDone),
                      (.error(409, "RestoreAlreadyInProgress"), .alreadyInProgress)])
    func eachAnswerIsOneState(_ answer: ScriptedTransport.Answer, _ expected: RetrievalRequest) async throws {
        let (client, transport) = ScriptedTransport.client([.headBucket, answer])
        let got = try await client.restoreObject(bucket: "b", key: "dir/a b", versionID: "v1", tier: .bulk, days: 2)
        #expect(got == expected)
        #expect(transport.sent.count == 2, "the bucket's region, then one request: 409 is an answer, never retried")
        let request = try #require(transport.sent.last)
        #expect(request.method == "POST" && request.url.contains("/b/dir/a%20b?restore=&versionId=v1"), "\(request.url)")
        #expect(body(request) == "<RestoreRequest xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Days>2</Days>"
                    + "<GlacierJobParameters><Tier>Bulk</Tier></GlacierJobParameters></RestoreRequest>")
        #expect(request.headers.contains { $0.0.lowercased() == "content-md5" })
    }

    @Test func intelligentTieringIsAskedWithoutDays() async throws {
        let (client, transport) = ScriptedTransport.client([.headBucket, .status(202)])
        _ = try await client.restoreObject(bucket: "b", key: "k", tier: .standard, days: nil)
        let request = try #require(transport.sent.last)
        #expect(!body(request).contains("<Days>") && body(request).contains("<Tier>Standard</Tier>"))
        #expect(!request.url.contains("versionId"))
    }

    @Test func otherRefusalsAreErrors() async throws {
        let (client, _) = ScriptedTransport.client([.headBucket, .error(403, "InvalidObjectState")])
        await #expect(throws: S3Error.self) {
            try await client.restoreObject(bucket: "b", key: "k", tier: .standard, days: 1)
        }
    }

    @Test func headTellsTheRetrievalAndTheArchiveTier() async throws {
        let (client, _) = ScriptedTransport.client([
            .headBucket,
            .status(200, headers: ["content-length": "5", "etag": "\"e\"", "x-amz-storage-class": "DEEP_ARCHIVE",
                                   "x-amz-restore": "ongoing-request=\"true\""]),
            .status(200, headers: ["content-length": "5", "etag": "\"e\"", "x-amz-storage-class": "GLACIER",
                                   "x-amz-restore": "ongoing-request=\"false\", expiry-date=\"Fri, 21 Dec 2012 00:00:00 GMT\""]),
            .status(200, headers: ["content-length": "5", "etag": "\"e\"", "x-amz-storage-class": "INTELLIGENT_TIERING",
                                   "x-amz-archive-status": "DEEP_ARCHIVE_ACCESS"]),
        ])
        let ongoing = try await client.headObject(bucket: "b", key: "k")
        #expect(ongoing.retrieval == .ongoing && ongoing.needsRetrieval)
        let done = try await client.headObject(bucket: "b", key: "k")
        #expect(done.retrieval == .done(expiry: "Fri, 21 Dec 2012 00:00:00 GMT") && !done.needsRetrieval)
        let tiered = try await client.headObject(bucket: "b", key: "k")
        #expect(tiered.archiveStatus == "DEEP_ARCHIVE_ACCESS" && tiered.needsRetrieval)
        #expect(!RetrievalTier.expedited.isOffered(storageClass: tiered.storageClass, archiveStatus: tiered.archiveStatus))
        #expect(RetrievalTier.expedited.isOffered(storageClass: "INTELLIGENT_TIERING", archiveStatus: "ARCHIVE_ACCESS"))
    }
}
