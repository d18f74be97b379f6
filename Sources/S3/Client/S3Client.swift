import Foundation
import SigV4

/// An S3 client: addresses, signs, sends and retries requests, and learns each bucket's region.
public final class S3Client: Sendable {
    /// The settings this client was made with.
    public let configuration: S3Configuration
    private let quota = RetryQuota()
    private let regions = LockedBox<[String: RegionLookup]>([:])

    /// A bucket's region, known or being asked.
    private enum RegionLookup {
        case known(String)
        case asking(Task<(region: String, certain: Bool), any Error>)
    }

    /// A client for `configuration`.
    public init(configuration: S3Configuration) {
        self.configuration = configuration
    }

    /// Sends `request`, retrying transient failures as the retry policy allows and following a bucket's region
    /// when S3 says it lives elsewhere.
    func send(_ request: S3Request) async throws -> S3Response {
        let policy = configuration.retry
        var attempt = 1
        var spent = 0
        var regionCorrected = false
        while true {
            var region = configuration.region
            do {
                if let known = request.region { region = known } else { region = try await self.region(of: request.bucket) }
                await configuration.observer?.beforeAttempt(request.operation)
                let response = try await attemptOnce(request, region: region)
                quota.release(spent: spent)
                return response
            } catch let error as S3Error {
                if let bucket = request.bucket, let actual = error.bucketRegion, actual != region, !regionCorrected {
                    remember(region: actual, of: bucket)
                    regionCorrected = true
                    continue
                }
                let verdict = RetryClassifier.classify(error)
                guard verdict != .fatal, attempt < policy.maxAttempts, let cost = quota.acquire(for: verdict) else {
                    configuration.observer?.attemptFailed(error, verdict: verdict, willRetry: false)
                    throw error
                }
                configuration.observer?.attemptFailed(error, verdict: verdict, willRetry: true)
                spent += cost
                let delay = policy.delay(afterAttempt: attempt, random: Double.random(in: 0..<1),
                                         retryAfterSeconds: error.retryAfterSeconds)
                try await Task.sleep(for: delay)
                attempt += 1
            }
        }
    }

    /// The region `bucket` lives in, asked of S3 once (HeadBucket's `x-amz-bucket-region`) and then remembered.
    /// Requests that need it while it is being asked wait for that one answer instead of asking again.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
    public func region(of bucket: String?) async throws -> String {
        guard let bucket else { return configuration.region }
        let lookup = regions.mutate { regions in
            if let known = regions[bucket] { return known }
            let asking = RegionLookup.asking(Task { try await self.discoverRegion(of: bucket) })
            regions[bucket] = asking
            return asking
        }
        switch lookup {
        case .known(let region):
            return region
        case .asking(let question):
            do {
                let (region, certain) = try await question.value
                settle(bucket, asked: question, with: certain ? .known(region) : nil)
                return region
            } catch {
                settle(bucket, asked: question, with: nil)
                throw error
            }
        }
    }

    /// Replaces the pending `question` with its answer (nil: forget it), unless something newer replaced it.
    private func settle(_ bucket: String, asked question: Task<(region: String, certain: Bool), any Error>, with answer: RegionLookup?) {
        regions.mutate { regions in
            if case .asking(let current) = regions[bucket], current == question { regions[bucket] = answer }
        }
    }

    /// Asks S3 where `bucket` lives; `certain` is false for a guess that must not be remembered.
    private func discoverRegion(of bucket: String) async throws -> (region: String, certain: Bool) {
        do {
            let response = try await attemptOnce(S3Request("HeadBucket", "HEAD", bucket: bucket), region: configuration.region)
            guard let answered = response.headers["x-amz-bucket-region"], !answered.isEmpty else {
                return (configuration.region, true)
            }
            guard RegionName.isValid(answered) else {
                var error = S3Error(.invalidResponse, "HeadBucket answered the region \(UntrustedText.quoted(answered)), "
                    + "which is not a region name (like us-west-2), so no request uses it: the endpoint is broken or "
                    + "something between us and it rewrote the answer; check the endpoint and reach it over https",
                    operation: "HeadBucket", bucket: bucket)
                error.requestID = response.headers["x-amz-request-id"]
                throw error
            }
            return (answered, true)
        } catch let error as S3Error where error.bucketRegion != nil {
            return (error.bucketRegion!, true)
        } catch let error as S3Error where error.status == 403 {
            // Without s3:ListBucket HeadBucket may be refused; the configured region is the best guess left.
            return (configuration.region, true)
        } catch let error as S3Error where error.status == 400 {
            // A HEAD error has no body to say why (an expired token is a bare 400): guess the configured region
            // without remembering it, and let the request itself, whose error has a body, say what is wrong.
            return (configuration.region, false)
        }
    }

    /// Records where `bucket` lives, learnt without asking (the client just created it).
    func remember(region: String, of bucket: String) {
        regions.mutate { $0[bucket] = .known(region) }
    }

    /// One signed exchange, its failures turned into `S3Error`s with full context.
    private func attemptOnce(_ request: S3Request, region: String) async throws -> S3Response {
        let endpoint = configuration.endpoint
        let address = endpoint.address(bucket: request.bucket, encodedKey: request.key.map(URIEncoding.path),
                                       region: region)
        let payloadHash: String
        switch request.body {
        case let bytes as BytesBody: payloadHash = Digest.sha256(bytes.bytes).hex
        case nil: payloadHash = Signer.emptyPayloadHash
        default: payloadHash = Signer.unsignedPayload
        }
        var headers = request.headers
        headers.append(("host", address.host))
        headers.append(("x-amz-content-sha256", payloadHash))
        let credentials: Credentials
        do {
            credentials = try await configuration.credentials.credentials()
        } catch var error as S3Error {
            error.operation = error.operation ?? request.operation
            throw error
        }
        let signer = Signer(credentials: credentials, region: region, service: "s3")
        let signature = signer.sign(method: request.method, path: address.path, query: request.query,
                                    headers: headers, payloadHash: payloadHash, date: AmzDate(configuration.clock()))
        let query = CanonicalRequest.query(request.query)
        var http = HTTPRequest(method: request.method, url: address.base + address.path + (query.isEmpty ? "" : "?\(query)"),
                               headers: signature.headers.filter { $0.0 != "host" }, body: request.body,
                               sink: request.sink)
        http.headers.append(("User-Agent", S3Client.userAgent))
        http.timeLimit = configuration.requestTimeLimit?.allowing(copiedBytes: request.copiedBytes)
        do {
            try HeaderCheck.validate(http.headers)
        } catch var error as S3Error {
            (error.operation, error.bucket, error.key) = (request.operation, request.bucket, request.key)
            throw error
        }

        let response: HTTPResponse
        do {
            response = try await configuration.transport.perform(http)
        } catch let failure as TransportError {
            var error = S3Error(failure, limit: configuration.requestTimeLimit)
            (error.operation, error.bucket, error.key) = (request.operation, request.bucket, request.key)
            error.endpoint = endpoint.isCustom ? endpoint.description : address.base
            throw error
        }
        if response.isSuccess && !(request.errorMayArriveWith200 && request.sink == nil) {
            return S3Response(http: response, document: nil, request: request)
        }
        let document = try? XMLTree.parse(response.body)
        if let error = ErrorResponse.parse(response, document: document, request: request,
                                           endpoint: endpoint.isCustom ? endpoint.description : address.base) {
            throw error
        }
        return S3Response(http: response, document: document, request: request)
    }

    /// Sent with every request, so S3 access logs name the tool.
    static let userAgent = "s3backup/0.1"
}
