import Foundation
import S3
import TestSupport
import Testing

/// Answers through libcurl from an endpoint that is broken or has someone hostile on its path: each ends in one
/// clear error, soon, instead of a crash, a swollen process or a request that never ends.
@Suite("Hostile endpoints", .timeLimit(.minutes(2)))
struct HostileEndpointTests {
    /// The 1.4 MB document that used to overflow the stack of the thread that parsed it (SIGSEGV).
    @Test func aDocumentNested200000DeepIsAnError() async throws {
        try await HostileEndpoint.with { endpoint in
            let client = endpoint.client()
            let error = try await within(seconds: 60, "listing a 200,000-deep document") { () async throws -> S3Error? in
                do {
                    for try await _ in client.listObjects(bucket: "deep-200000") {}
                    return nil
                } catch let error as S3Error {
                    return error
                }
            }
            let refused = try #require(error)
            #expect(refused.kind == .invalidResponse)
            #expect(refused.operation == "ListObjectsV2" && refused.bucket == "deep-200000")
            #expect(refused.message.contains("nested deeper than 64"), "\(refused)")
        }
    }

    /// A 200 MB answer to a metadata call, announced (aborted at its first bytes) or chunked (aborted past the cap).
    @Test(arguments: [("huge-200000000", "announced 200000000 bytes, more than the 67108864"), ("chunked-200000000", "grew past the 67108864")])
    func anAnswerLargerThanTheCapIsOneErrorNamingTheLimit(bucket: String, said: String) async throws {
        try await HostileEndpoint.with { endpoint in
            let client = endpoint.client()
            let error = try await within(seconds: 60, "GetBucketVersioning of a 200 MB answer") { () async throws -> S3Error? in
                do {
                    _ = try await client.getBucketVersioning(bucket)
                    return nil
                } catch let error as S3Error {
                    return error
                }
            }
            let refused = try #require(error)
            #expect(refused.kind == .invalidResponse)
            #expect(refused.operation == "GetBucketVersioning" && refused.bucket == bucket)
            #expect(refused.message.contains("67108864 bytes (64 MiB)") && refused.message.contains(said), "\(refused)")
            #expect(!refused.isRetryable)
            let stats = try await endpoint.stats(within: 30) { stats in stats.sent.keys.contains { $0.hasPrefix("GET /\(bucket)?") } }
            #expect(stats.requests.filter { $0.hasPrefix("GET") }.count == 1, "not retried: \(stats.requests)")
            let sent = stats.sent.first { $0.key.hasPrefix("GET /\(bucket)?") }?.value ?? 0
            #expect(sent < 200_000_000, "the client went away before the whole answer")
        }
    }

    /// One byte a second keeps the stall limit quiet for ever; the request time limit ends it.
    @Test func aTrickleEndsAtTheRequestTimeLimit() async throws {
        try await HostileEndpoint.with { endpoint in
            let client = endpoint.client(timeLimit: RequestTimeLimit(baseSeconds: 2, floorBytesPerSecond: 1 << 20))
            let started = ContinuousClock.now
            let error = try await within(seconds: 60, "GetBucketVersioning of a trickle") { () async throws -> S3Error? in
                do {
                    _ = try await client.getBucketVersioning("trickle-1000")
                    return nil
                } catch let error as S3Error {
                    return error
                }
            }
            let elapsed = started.duration(to: .now)
            let tripped = try #require(error)
            #expect(tripped.kind == .transport(curlCode: 42))
            #expect(tripped.message.contains("past its time limit of 2 s"), "\(tripped)")
            #expect(tripped.message.contains("S3BACKUP_REQUEST_TIME_LIMIT_SECONDS"), "says how to change it: \(tripped)")
            #expect(!tripped.isRetryable)
            #expect(elapsed >= .seconds(2))
            let stats = try await endpoint.stats(within: 30) { stats in stats.sent.keys.contains { $0.hasPrefix("GET /trickle-1000?") } }
            #expect(stats.requests.filter { $0.hasPrefix("GET") }.count == 1, "not retried: \(stats.requests)")
        }
    }

    /// The limit grows with the bytes: 3 MiB at 2 MiB/s takes 1.5 s, past a 1 s base but well within the 13 s that
    /// 1 s plus 3 MiB at 256 KiB/s allow.
    @Test func aTransferMovingFasterThanTheFloorRateOutlivesTheBase() async throws {
        try await HostileEndpoint.with { endpoint in
            let client = endpoint.client(timeLimit: RequestTimeLimit(baseSeconds: 1, floorBytesPerSecond: 256 << 10))
            let sink = BytesSink()
            let started = ContinuousClock.now
            _ = try await within(seconds: 60, "GetObject of 3 MiB at 2 MiB/s") {
                try await client.getObject(bucket: "paced-3145728-2097152", key: "o", to: sink)
            }
            #expect(started.duration(to: .now) > .seconds(1), "the transfer outlived the base")
            #expect(sink.bytes.count == 3_145_728)
        }
    }

    /// A session token an instance metadata service answered goes into a header of the next request: one with a
    /// control character stops there, and the token is not quoted in the error.
    @Test func aSessionTokenWithAControlCharacterIsNotSent() async throws {
        try await HostileEndpoint.with { endpoint in
            let provider = try InstanceMetadataCredentialsProvider(
                environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoint.endpoint], transport: CurlTransport())
            let error = await #expect(throws: S3Error.self) {
                _ = try await within(seconds: 60, "instance credentials") { try await provider.credentials() }
            }
            #expect(error?.kind == .invalidResponse)
            #expect(error?.message.contains("the header X-aws-ec2-metadata-token holds the control character 0x01 at byte 6") == true,
                    "\(String(describing: error))")
            #expect(error?.description.contains("s3cr3t") == false, "the token is not quoted")
            #expect(try await endpoint.stats().requests == ["PUT /latest/api/token HTTP/1.1"], "nothing sent with it")
        }
    }

    /// The transport's own check covers requests that do not come through S3Client (credential requests).
    @Test func theTransportSendsNoHeaderWithALineBreak() async throws {
        try await HostileEndpoint.with { endpoint in
            let transport = CurlTransport()
            let error = await #expect(throws: TransportError.self) {
                _ = try await transport.perform(HTTPRequest(method: "GET", url: "\(endpoint.endpoint)/inject",
                                                            headers: [("X-Note", "a\r\nX-Injected: yes")]))
            }
            #expect((error?.underlying as? S3Error)?.message.contains("the header X-Note") == true, "\(String(describing: error))")
            _ = try await transport.perform(HTTPRequest(method: "GET", url: "\(endpoint.endpoint)/after"))
            #expect(try await endpoint.stats().requests == ["GET /after HTTP/1.1"])
        }
    }
}
