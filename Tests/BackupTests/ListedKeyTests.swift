import Backup
import Foundation
import S3
import SigV4
import TestSupport
import Testing

/// A server that answers every listing with `keys`, whatever prefix it was asked for: what a broken provider, or a
/// man in the middle on http, could send.
private func listingServer(_ keys: [String]) -> ScriptedTransport {
    ScriptedTransport { request in
        guard request.method == "GET" else { return HTTPResponse(status: 200, headers: ["x-amz-bucket-region": "us-east-1"], body: []) }
        let contents = keys.map { "<Contents><Key>\($0)</Key><Size>1</Size><ETag>\"e\"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>" }
        let xml = "<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>\(keys.count)</KeyCount>\(contents.joined())</ListBucketResult>"
        return HTTPResponse(status: 200, headers: [:], body: Array(xml.utf8))
    }
}

@Suite("every listed key is inside the prefix asked for", .timeLimit(.minutes(1)))
struct ListedKeyTests {
    private func planner(source: [String], backup: [String]) throws -> Planner {
        func client(_ keys: [String]) -> S3Client { ScriptedTransport.client(over: listingServer(keys)) }
        return try Planner(parameters: RunParameters(source: Side(url: "s3://src/data"), backup: Side(url: "s3://bak/bk")),
                           source: client(source), backup: client(backup))
    }

    @Test func keysInsideArePlanned() async throws {
        let findings = try await planner(source: ["data/a", "data/b"], backup: ["bk/b", "bk/c"]).planAll(into: PreviewSink())
        #expect(findings.missing == 1 && findings.same == 1 && findings.extra == 1)
    }

    @Test(arguments: [(["data/a", "data-other/x"], ["bk/a"]), (["data/a"], ["bk/a", "bk-other-team/precious"]), (["data/a"], ["other"])])
    func aKeyOutsideIsRefused(source: [String], backup: [String]) async throws {
        let sink = PreviewSink()
        await #expect(throws: BackupError.self) { try await planner(source: source, backup: backup).planAll(into: sink) }
        #expect(sink.samples.deletes.isEmpty)
    }
}
