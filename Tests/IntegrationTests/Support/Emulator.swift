import Foundation
import S3
import SigV4
import TestSupport
import Testing

/// The moto server shared by this test process: started on first use, gone when the process exits.
let sharedEmulator = SharedServer { try await HelperServer(script: "emulator.py") }

/// The Ceph RADOS Gateway shared by this test process, with the suite's user: started on first use (seconds to a
/// minute), gone when the process exits.
let sharedRGW = SharedServer { try await HelperServer(script: "rgw.py", startTimeout: 120) }

/// A server every test of the process shares, started once: the tests that need it wait for it without holding
/// threads of the cooperative pool (one per core; a lazy global would block each of them until it started), which
/// the tests that do not need it go on using.
final class SharedServer: Sendable {
    private let started: Task<HelperServer, any Error>

    /// A server `start` makes, at the first use of this value.
    init(_ start: @escaping @Sendable () async throws -> HelperServer) {
        started = Task { try await start() }
    }

    /// The server, once it has started.
    func get() async throws -> HelperServer { try await started.value }
}

/// An S3 implementation the integration suite runs against; the tests that matter run on each.
enum Provider: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// moto's server: an emulator that accepts every signature and serves one request at a time.
    case moto
    /// Ceph's RADOS Gateway: a production S3 that checks signatures and serves in parallel.
    case rgw

    /// This process's shared server of this kind. A missing one fails the test (no skips).
    func server() async throws -> HelperServer {
        switch self {
        case .moto: try await sharedEmulator.get()
        case .rgw: try await sharedRGW.get()
        }
    }

    /// Whether HeadObject with `partNumber` answers with the part (AWS and moto do; RGW 16.2 ignores it), so a
    /// multipart copy can take the source's exact layout.
    var readsPartLayouts: Bool { self == .moto }

    var testDescription: String { rawValue }
}

/// What every integration test starts from: an S3 server (moto unless told), a client for it, and names of its own.
struct Emulator {
    let provider: Provider
    let server: HelperServer
    let client: S3Client

    /// The shared server of `provider`, with a client signing for `region`.
    init(_ provider: Provider = .moto, region: String = "us-east-1") async throws {
        self.provider = provider
        server = try await provider.server()
        client = Emulator.client(endpoint: server.endpoint, region: region)
    }

    /// A moto `server` of the test's own, with a client signing for `region`.
    init(server: HelperServer, region: String = "us-east-1") {
        provider = .moto
        self.server = server
        client = Emulator.client(endpoint: server.endpoint, region: region)
    }

    /// A client for `endpoint` with the suite's credentials (moto takes any; RGW has this user) and fast retries.
    static func client(endpoint: String, region: String = "us-east-1", maxAttempts: Int = 3) -> S3Client {
        S3Client(configuration: S3Configuration(
            endpoint: try! Endpoint(url: endpoint, setting: "test endpoint"), region: region,
            credentials: StaticCredentialsProvider(Credentials(accessKeyID: "AKIDTEST", secretAccessKey: "test-secret")),
            retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(10))))
    }

    /// A bucket name no other test uses.
    static func uniqueBucket(_ label: String) -> String {
        "\(label)-\(UUID().uuidString.lowercased().prefix(13))"
    }

    /// Creates a fresh bucket in `region`.
    func makeBucket(_ label: String, region: String = "us-east-1", objectLock: Bool = false) async throws -> String {
        let bucket = Emulator.uniqueBucket(label)
        try await client.createBucket(bucket, region: region, objectLock: objectLock)
        return bucket
    }

    /// Every key of `bucket` in listing order.
    func keys(_ bucket: String, prefix: String = "", pageSize: Int = 1_000) async throws -> [String] {
        var keys: [String] = []
        for try await page in client.listObjects(bucket: bucket, prefix: prefix, pageSize: pageSize) {
            keys += page.objects.map(\.key)
        }
        return keys
    }
}

/// Keys that break naive clients: every one must survive put, list, head, get, copy and delete byte for byte.
let awkwardKeys: [String] = [
    "plain.txt", "with space", "two  spaces", "plus+sign", "percent%sign", "percent%20encoded", "slash%2Fencoded",
    "equals=sign", "amp&ersand", "question?mark", "hash#tag", "tilde~home", "tab\there", "star*bang!quote'paren()",
    "caf\u{E9} NFC", "cafe\u{301} NFD", "emoji 😀🎉", "日本語/ファイル", "double//slash", "/leading-slash", "trailing-slash/",
    "./dot-segment", "a/./b", "../dotdot-segment", "a/../b", "ends-with-dot.", "colon:semi;at@comma,dollar$",
    "angle<>&amp;\"quotes\"", "back\\slash", "caret^`{}|[]", "control\u{01}char", "carriage\rreturn", "k/" + String(repeating: "x", count: 1_022),
]
