import Foundation
import Synchronization
import S3
import TestSupport
import Testing

/// A server's listing that never ends, page by page: the page answering the `n`th list request (0-based).
struct EndlessListing: Sendable, CustomTestStringConvertible {
    let name: String
    /// Versions (ListObjectVersions) rather than objects (ListObjectsV2).
    var versions = false
    var delimiter: String?
    /// The list request (0-based) whose answer the client must refuse.
    let refusedAt: Int
    let page: @Sendable (Int) -> String

    var testDescription: String { name }
}

/// A ListObjectsV2 page: `token` (written as is, references and all) nil means the last page.
func objectsPage(_ keys: [String], prefixes: [String] = [], token: String?) -> String {
    "<ListBucketResult><IsTruncated>\(token != nil)</IsTruncated>"
        + (token.map { "<NextContinuationToken>\($0)</NextContinuationToken>" } ?? "")
        + keys.map { "<Contents><Key>\($0)</Key><Size>1</Size><ETag>\"e\"</ETag></Contents>" }.joined()
        + prefixes.map { "<CommonPrefixes><Prefix>\($0)</Prefix></CommonPrefixes>" }.joined() + "</ListBucketResult>"
}

/// A ListObjectVersions page: `next` nil means the last page.
func versionsPage(_ versions: [(String, String)], prefixes: [String] = [], next: (key: String, version: String?)?) -> String {
    "<ListVersionsResult><IsTruncated>\(next != nil)</IsTruncated>"
        + (next.map { "<NextKeyMarker>\($0.key)</NextKeyMarker>" } ?? "")
        + (next?.version.map { "<NextVersionIdMarker>\($0)</NextVersionIdMarker>" } ?? "")
        + versions.map { "<Version><Key>\($0.0)</Key><VersionId>\($0.1)</VersionId><IsLatest>false</IsLatest>"
            + "<LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>\"e\"</ETag><Size>1</Size></Version>" }.joined()
        + prefixes.map { "<CommonPrefixes><Prefix>\($0)</Prefix></CommonPrefixes>" }.joined() + "</ListVersionsResult>"
}

@Suite("Listings that do not advance", .timeLimit(.minutes(1)))
struct ListingProgressTests {
    static let endless: [EndlessListing] = [
        EndlessListing(name: "the token sent comes back as the next one", refusedAt: 1) { n in
            objectsPage(["k\(n)"], token: "T1")
        },
        EndlessListing(name: "tokens cycle over empty pages", refusedAt: 2) { n in
            objectsPage([], token: n % 2 == 0 ? "A" : "B")
        },
        EndlessListing(name: "an empty truncated page repeats its token", refusedAt: 1) { _ in
            objectsPage([], token: "T")
        },
        EndlessListing(name: "fresh tokens, the same keys", refusedAt: 1) { n in
            objectsPage(["a", "b"], token: "T\(n)")
        },
        EndlessListing(name: "a page lists keys before the last one", refusedAt: 1) { n in
            objectsPage(n == 0 ? ["m"] : ["c"], token: "T\(n)")
        },
        EndlessListing(name: "prefix discovery: the same common prefixes, fresh tokens", delimiter: "/", refusedAt: 1) { n in
            objectsPage([], prefixes: ["x/", "y/"], token: "T\(n)")
        },
        EndlessListing(name: "versions: the markers sent come back", versions: true, refusedAt: 1) { _ in
            versionsPage([("a", "v1")], next: ("a", "v1"))
        },
        EndlessListing(name: "versions: the key marker goes back", versions: true, refusedAt: 1) { n in
            versionsPage([(n == 0 ? "m" : "c", "v1")], next: (n == 0 ? "m" : "c", nil))
        },
        EndlessListing(name: "versions: version-id markers cycle on one key", versions: true, refusedAt: 2) { n in
            versionsPage([], next: ("a", n % 2 == 0 ? "v1" : "v2"))
        },
        EndlessListing(name: "versions, prefix discovery: the same next key marker", versions: true, delimiter: "/",
                       refusedAt: 1) { _ in
            versionsPage([], prefixes: ["x/"], next: ("x/", nil))
        },
    ]

    /// Lists until the listing throws, at most `maxPages` pages: the error, or nil when the listing went on.
    private func stop(_ listing: EndlessListing, maxPages: Int = 50) async throws -> (S3Error?, ScriptedTransport) {
        let counter = PageCounter()
        let answering = ScriptedTransport { request in
            if request.method == "HEAD" { return HTTPResponse(status: 200, headers: ["x-amz-bucket-region": "us-east-1"], body: []) }
            return HTTPResponse(status: 200, headers: [:], body: Array(listing.page(counter.next()).utf8))
        }
        let client = ScriptedTransport.client(over: answering)
        var pages = 0
        do {
            if listing.versions {
                for try await _ in client.listObjectVersions(bucket: "bucket", prefix: "p/", delimiter: listing.delimiter) {
                    pages += 1
                    if pages >= maxPages { break }
                }
            } else {
                for try await _ in client.listObjects(bucket: "bucket", prefix: "p/", delimiter: listing.delimiter) {
                    pages += 1
                    if pages >= maxPages { break }
                }
            }
        } catch let error as S3Error {
            return (error, answering)
        }
        return (nil, answering)
    }

    @Test(arguments: endless)
    func aListingThatDoesNotAdvanceIsAnError(listing: EndlessListing) async throws {
        let (error, transport) = try await stop(listing)
        let stopped = try #require(error, "the listing went on for 50 pages")
        #expect(stopped.kind == .invalidResponse)
        #expect(stopped.operation == (listing.versions ? "ListObjectVersions" : "ListObjectsV2"))
        #expect(stopped.bucket == "bucket")
        #expect(stopped.description.contains("\"p/\""), "names the prefix: \(stopped)")
        #expect(stopped.description.contains("report this to the provider"), "says what to do: \(stopped)")
        #expect(!stopped.isRetryable)
        let lists = transport.sent.filter { $0.method == "GET" }
        #expect(lists.count == listing.refusedAt + 1, "stopped at the first page that did not advance")
    }

    @Test func theErrorNamesTheTokenEscaped() async throws {
        let listing = EndlessListing(name: "a control character in the token", refusedAt: 1) { n in
            objectsPage(["k\(n)"], token: "T&#x1;\u{1B}[31m")
        }
        let stopped = try #require(try await stop(listing).0)
        #expect(stopped.description.contains("\"T%01%1B[31m\""), "\(stopped)")
        #expect(!stopped.description.utf8.contains { $0 < 0x20 }, "no raw control byte reaches a log")
    }

    @Test func endlessEmptyPagesWithFreshTokensEndInAnError() async throws {
        let listing = EndlessListing(name: "fresh tokens forever", refusedAt: 10_000) { n in objectsPage([], token: "T\(n)") }
        let (error, transport) = try await stop(listing, maxPages: 10_100)
        let stopped = try #require(error, "the listing went on for 10,100 pages")
        #expect(stopped.description.contains("10000 pages in a row"), "\(stopped)")
        #expect(transport.sent.filter { $0.method == "GET" }.count == 10_001)
    }

    @Test func emptyTruncatedPagesThatMoveOnAreFine() async throws {
        let (client, _) = ScriptedTransport.client([
            .headBucket, .status(200, objectsPage(["a"], token: "T1")), .status(200, objectsPage([], token: "T2")),
            .status(200, objectsPage([], prefixes: ["a/"], token: "T3")),
            .status(200, objectsPage(["b"], prefixes: ["a/", "c/"], token: "T4")), .status(200, objectsPage(["d"], token: nil)),
        ])
        var entries: [String] = []
        for try await page in client.listObjects(bucket: "bucket", delimiter: "/") { entries += page.objects.map(\.key) + page.commonPrefixes }
        #expect(entries == ["a", "a/", "b", "a/", "c/", "d"])
    }

    @Test func oneKeysVersionsOverSeveralPagesAreFine() async throws {
        let (client, _) = ScriptedTransport.client([
            .headBucket, .status(200, versionsPage([("a", "v4"), ("a", "v3")], next: ("a", "v3"))),
            .status(200, versionsPage([("a", "v2")], next: ("a", "v2"))), .status(200, versionsPage([], next: ("a", "v1"))),
            .status(200, versionsPage([("a", "v1"), ("b", "v1")], next: nil)),
        ])
        var versions: [String] = []
        for try await page in client.listObjectVersions(bucket: "bucket") { versions += page.versions.map { "\($0.key)@\($0.versionID)" } }
        #expect(versions == ["a@v4", "a@v3", "a@v2", "a@v1", "b@v1"])
    }
}

/// Numbers the list requests a transport answers.
private final class PageCounter: Sendable {
    private let count = Mutex(0)
    func next() -> Int {
        count.withLock { count in
            defer { count += 1 }
            return count
        }
    }
}
