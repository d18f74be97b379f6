import Foundation
import S3
import TestSupport
import Testing

@Suite("Retry rules", .timeLimit(.minutes(1)))
struct RetryTests {
    @Test(arguments: [
        (S3Error.Kind.service(status: 503, code: "SlowDown"), RetryClassifier.Verdict.throttled),
        (.service(status: 500, code: "InternalError"), .transient),
        (.service(status: 502, code: "HTTP502"), .transient),
        (.service(status: 504, code: "GatewayTimeout"), .transient),
        (.service(status: 400, code: "RequestTimeout"), .transient),
        (.service(status: 429, code: "TooManyRequests"), .throttled),
        (.service(status: 403, code: "AccessDenied"), .fatal),
        (.service(status: 404, code: "NoSuchKey"), .fatal),
        (.service(status: 400, code: "InvalidArgument"), .fatal),
        (.service(status: 412, code: "PreconditionFailed"), .fatal),
        (.transport(curlCode: 7), .transient), (.transport(curlCode: 56), .transient), (.transport(curlCode: 52), .transient),
        (.transport(curlCode: 28), .timeout), (.transport(curlCode: 60), .fatal), (.transport(curlCode: 3), .fatal),
        (.transport(curlCode: 42), .fatal), (.transport(curlCode: 23), .fatal),
        (.configuration, .fatal), (.invalidResponse, .fatal), (.local, .fatal),
    ])
    func classifies(kind: S3Error.Kind, verdict: RetryClassifier.Verdict) {
        #expect(RetryClassifier.classify(S3Error(kind, "x")) == verdict)
    }

    @Test func errorInsideA200IsRetried() {
        var error = S3Error(.service(status: 200, code: "AccessDenied"), "x")
        #expect(!error.isRetryable)
        error.arrivedWithSuccessStatus = true
        #expect(error.isRetryable)
    }

    @Test func backoffIsFullJitterCappedAt20Seconds() {
        let policy = RetryPolicy()
        #expect(policy.delay(afterAttempt: 1, random: 0.5) == .milliseconds(500))
        #expect(policy.delay(afterAttempt: 2, random: 0.5) == .seconds(1))
        #expect(policy.delay(afterAttempt: 3, random: 0.999) < .seconds(4))
        #expect(policy.delay(afterAttempt: 10, random: 0.999) <= .seconds(20))
        #expect(policy.delay(afterAttempt: 10, random: 0.999) > .seconds(19.9))
        #expect(policy.delay(afterAttempt: 60, random: 0) == .zero)
        #expect(policy.delay(afterAttempt: 1, random: 0.1, retryAfterSeconds: 3) == .seconds(3))
        #expect(policy.delay(afterAttempt: 1, random: 0.1, retryAfterSeconds: 9_999) == .seconds(300))
        #expect(policy.delay(afterAttempt: 1, random: 0.1, retryAfterSeconds: 1e300) == .seconds(300))
        #expect(policy.delay(afterAttempt: 1, random: 0.5, retryAfterSeconds: .infinity) == .milliseconds(500))
        #expect(policy.delay(afterAttempt: 1, random: 0.5, retryAfterSeconds: -.nan) == .milliseconds(500))
    }

    @Test func quotaDrainsAndRefills() {
        let quota = RetryQuota()
        var taken = 0
        while let cost = quota.acquire(for: .transient) { taken += cost }
        #expect(taken == RetryQuota.capacity)
        #expect(quota.acquire(for: .timeout) == nil)
        quota.release(spent: 10)
        #expect(quota.acquire(for: .timeout) == 10)
        quota.release(spent: 0)
        #expect(quota.available == 1)
    }

    @Test func retriesSlowDownThenSucceeds() async throws {
        let (client, transport) = ScriptedTransport.client([
            .headBucket, .error(503, "SlowDown"), .error(500, "InternalError"), .status(200, headers: ["content-length": "3", "etag": "\"e\""]),
        ])
        let info = try await client.headObject(bucket: "bucket", key: "k")
        #expect(info.size == 3)
        #expect(transport.sent.count == 4)
    }

    @Test func givesUpAfterMaxAttempts() async throws {
        let (client, transport) = ScriptedTransport.client([.headBucket] + Array(repeating: .error(503, "SlowDown"), count: 3))
        let error = await #expect(throws: S3Error.self) { try await client.headObject(bucket: "bucket", key: "k") }
        #expect(error?.code == "SlowDown")
        #expect(transport.sent.count == 4)
    }

    @Test func doesNotRetryAccessDenied() async throws {
        let (client, transport) = ScriptedTransport.client([.headBucket, .error(403, "AccessDenied")])
        let error = await #expect(throws: S3Error.self) {
            try await client.putObject(bucket: "bucket", key: "k", body: BytesBody([1]))
        }
        #expect(error?.code == "AccessDenied")
        #expect(error?.requestID == "R1")
        #expect(transport.sent.count == 2)
    }

    @Test func retriesTransportFailures() async throws {
        let reset = TransportError(code: 56, message: "Connection reset by peer", underlying: nil)
        let (client, transport) = ScriptedTransport.client([.headBucket, .failure(reset), .copyResult])
        let result = try await client.copyObject(from: ObjectLocation(bucket: "a", key: "k"), to: "bucket", key: "k")
        #expect(result.etag == ETag("\"abc\""))
        #expect(transport.sent.count == 3)
    }

    @Test func copyErrorInside200IsRetriedAndReported() async throws {
        let (client, transport) = ScriptedTransport.client([.headBucket, .error(200, "InternalError"), .error(200, "SlowDown"),
                                                           .error(200, "InternalError")])
        let error = await #expect(throws: S3Error.self) {
            try await client.copyObject(from: ObjectLocation(bucket: "a", key: "k"), to: "bucket", key: "k")
        }
        #expect(error?.arrivedWithSuccessStatus == true)
        #expect(error?.code == "InternalError")
        #expect(transport.sent.count == 4)
    }

    @Test func truncated200CopyIsAFailure() async throws {
        let (client, _) = ScriptedTransport.client([.headBucket, .status(200, "<CopyObjectResult><ETag>"),
                                                   .status(200, ""), .copyResult])
        let result = try await client.copyObject(from: ObjectLocation(bucket: "a", key: "k"), to: "bucket", key: "k")
        #expect(result.etag == ETag("\"abc\""))
    }

    @Test func followsTheBucketRegion() async throws {
        let (client, transport) = ScriptedTransport.client([
            .headBucket,
            .error(400, "AuthorizationHeaderMalformed", headers: ["x-amz-bucket-region": "eu-west-1"]),
            .status(200, headers: ["content-length": "1"]),
        ], maxAttempts: 1)
        _ = try await client.headObject(bucket: "bucket", key: "k")
        let authorization = transport.sent.last?.headers.first { $0.0 == "authorization" }?.1
        #expect(authorization?.contains("/eu-west-1/s3/aws4_request") == true)
        #expect(try await client.region(of: "bucket") == "eu-west-1")
    }

    @Test func honoursRetryAfter() async throws {
        let (client, _) = ScriptedTransport.client([.headBucket, .error(503, "SlowDown", headers: ["retry-after": "0.2"]),
                                                   .status(200)])
        let started = ContinuousClock.now
        _ = try await client.headObject(bucket: "bucket", key: "k")
        #expect(ContinuousClock.now - started >= .milliseconds(200))
    }
}
