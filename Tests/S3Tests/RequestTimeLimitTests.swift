import S3
import TestSupport
import Testing

@Suite("Request time limit", .timeLimit(.minutes(1)))
struct RequestTimeLimitTests {
    /// 15 minutes for any request, plus a second per 64 KiB: a 5 GiB part on a link averaging 64 KiB/s still fits.
    @Test(arguments: [(Int64(0), 900.0), (100 << 20, 2_500.0), (5 << 30, 82_820.0), (-1, 900.0)])
    func theDefaultGrowsWithTheBytes(bytes: Int64, seconds: Double) {
        #expect(RequestTimeLimit().seconds(forBytes: bytes) == seconds)
    }

    @Test func theEnvironmentSetsTheBase() throws {
        let resolved = try S3Configuration.resolve(profile: nil, endpointURL: nil, region: nil,
                                                   environment: ["HOME": "/nonexistent", "S3BACKUP_REQUEST_TIME_LIMIT_SECONDS": "120"])
        #expect(resolved.requestTimeLimit == RequestTimeLimit(baseSeconds: 120))
        let standard = try S3Configuration.resolve(profile: nil, endpointURL: nil, region: nil, environment: ["HOME": "/nonexistent"])
        #expect(standard.requestTimeLimit == RequestTimeLimit())
    }

    @Test(arguments: ["0", "-5", "ten", "604801", "1.5"])
    func aMalformedBaseIsAConfigurationError(text: String) {
        let error = #expect(throws: S3Error.self) {
            try S3Configuration.resolve(profile: nil, endpointURL: nil, region: nil,
                                        environment: ["HOME": "/nonexistent", "S3BACKUP_REQUEST_TIME_LIMIT_SECONDS": text])
        }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("S3BACKUP_REQUEST_TIME_LIMIT_SECONDS") == true)
    }
}

@Suite("Request time limit on the wire", .timeLimit(.minutes(1)))
struct RequestTimeLimitRequestTests {
    @Test func everyS3RequestCarriesTheLimit() async throws {
        let (client, transport) = ScriptedTransport.client([.headBucket, .status(200)])
        _ = try await client.headObject(bucket: "bucket", key: "k")
        #expect(transport.sent.allSatisfy { $0.timeLimit == RequestTimeLimit() })
    }

    /// A 5 GiB part S3 copies itself moves no bytes through us: its time is granted up front.
    @Test func aPartCopyIsGivenTimeForItsRange() async throws {
        let (client, transport) = ScriptedTransport.client([.headBucket, .copyResult])
        _ = try await client.uploadPartCopy(bucket: "bucket", key: "k", uploadID: "u", number: 1,
                                            source: ObjectLocation(bucket: "src", key: "s"), range: 0...(5 << 30) - 1)
        let limit = try #require(transport.sent.last?.timeLimit)
        #expect(limit == RequestTimeLimit(baseSeconds: 900 + 81_920), "900 s plus 5 GiB at 64 KiB/s")
    }
}
