import Foundation
import SigV4
import Synchronization
import TestSupport
import Testing
@testable import S3

/// A source that counts its calls, can be made to fail, and issues ASIAFAKE1, ASIAFAKE2, … valid for `lifetime`.
private final class FakeProvider: CredentialsProvider {
    private let calls = Mutex(0)
    private let failing = Mutex(false)
    private let lifetime: TimeInterval?
    private let clock: TestClock
    private let delay: Duration

    init(lifetime: TimeInterval? = 3_600, clock: TestClock, delay: Duration = .zero) {
        self.lifetime = lifetime
        self.clock = clock
        self.delay = delay
    }

    var callCount: Int { calls.withLock { $0 } }
    func fail(_ value: Bool) { failing.withLock { $0 = value } }

    func credentials() async throws -> Credentials {
        let number = calls.withLock { count in
            count += 1
            return count
        }
        if delay > .zero { try await Task.sleep(for: delay) }
        if failing.withLock({ $0 }) { throw S3Error(.transport(curlCode: 7), "the fake source is down") }
        return Credentials(accessKeyID: "ASIAFAKE\(number)", secretAccessKey: "FAKESECRET\(number)",
                           sessionToken: "FAKETOKEN\(number)", expiration: lifetime.map { clock.date + $0 })
    }
}

extension ScriptedTransport {
    /// A transport that must not be used.
    fileprivate static var unused: ScriptedTransport {
        ScriptedTransport { request in
            Issue.record("unexpected request \(request.method) \(request.url)")
            throw TransportError(code: 7, message: "no network in unit tests", underlying: nil)
        }
    }
}

private func reply(_ status: Int, _ body: String, headers: [String: String] = [:]) -> HTTPResponse {
    HTTPResponse(status: status, headers: headers, body: Array(body.utf8))
}

private func header(_ request: HTTPRequest, _ name: String) -> String? {
    request.headers.first { $0.0.lowercased() == name.lowercased() }?.1
}

private func bodyText(_ request: HTTPRequest) -> String? {
    (request.body as? BytesBody).map { String(decoding: $0.bytes, as: UTF8.self) }
}

/// An AssumeRole answer as STS (and moto) writes it.
private func assumeRoleResponse(keyID: String = "ASIAROLE", expiration: String = "2030-01-01T00:00:00Z") -> String {
    """
    <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
      <AssumeRoleResult>
        <Credentials>
          <AccessKeyId>\(keyID)</AccessKeyId>
          <SecretAccessKey>ROLESECRET</SecretAccessKey>
          <SessionToken>ROLETOKEN</SessionToken>
          <Expiration>\(expiration)</Expiration>
        </Credentials>
        <AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId><Arn>arn:aws:sts::1:assumed-role/r/s</Arn></AssumedRoleUser>
      </AssumeRoleResult>
      <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>
    </AssumeRoleResponse>
    """
}

@Suite(.timeLimit(.minutes(1))) struct CredentialsTests {
    // MARK: Environment

    @Test(arguments: [
        (["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "ENVSECRET"],
         Credentials(accessKeyID: "AKIAENV", secretAccessKey: "ENVSECRET")),
        (["AWS_ACCESS_KEY_ID": "ASIAENV", "AWS_SECRET_ACCESS_KEY": "ENVSECRET", "AWS_SESSION_TOKEN": "ENVTOKEN",
          "AWS_SECURITY_TOKEN": "LEGACY", "AWS_CREDENTIAL_EXPIRATION": "2030-01-01T00:00:00Z"],
         Credentials(accessKeyID: "ASIAENV", secretAccessKey: "ENVSECRET", sessionToken: "ENVTOKEN",
                     expiration: Date(timeIntervalSince1970: 1_893_456_000))),
        (["AWS_ACCESS_KEY_ID": "ASIAENV", "AWS_SECRET_ACCESS_KEY": "ENVSECRET", "AWS_SECURITY_TOKEN": "LEGACY",
          "AWS_CREDENTIAL_EXPIRATION": "2030-01-01T01:00:00.250+01:00"],
         Credentials(accessKeyID: "ASIAENV", secretAccessKey: "ENVSECRET", sessionToken: "LEGACY",
                     expiration: Date(timeIntervalSince1970: 1_893_456_000.25))),
    ])
    func environmentCredentials(environment: [String: String], expected: Credentials) throws {
        let provider = EnvironmentCredentialsProvider(environment: environment)
        #expect(provider.isConfigured)
        #expect(try provider.credentials() == expected)
    }

    @Test(arguments: [
        (["AWS_ACCESS_KEY_ID": "AKIAENV"], "AWS_SECRET_ACCESS_KEY is not"),
        (["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": ""], "AWS_SECRET_ACCESS_KEY is not"),
        ([:], "are not set"),
        (["AWS_SECRET_ACCESS_KEY": "ENVSECRET"], "are not set"),
        (["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "ENVSECRET", "AWS_SESSION_TOKEN": "ENVTOKEN",
          "AWS_CREDENTIAL_EXPIRATION": "tomorrow"], "AWS_CREDENTIAL_EXPIRATION"),
    ])
    func environmentErrors(environment: [String: String], fragment: String) {
        let error = #expect(throws: S3Error.self) { try EnvironmentCredentialsProvider(environment: environment).credentials() }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains(fragment) == true)
        #expect(error.map { "\($0)".contains("ENVSECRET") || "\($0)".contains("ENVTOKEN") } == false)
    }

    @Test func environmentIsConfiguredByTheKeyID() {
        #expect(!EnvironmentCredentialsProvider(environment: ["AWS_SECRET_ACCESS_KEY": "x"]).isConfigured)
        #expect(!EnvironmentCredentialsProvider(environment: ["AWS_ACCESS_KEY_ID": ""]).isConfigured)
        #expect(EnvironmentCredentialsProvider(environment: ["AWS_ACCESS_KEY_ID": "AKIA"]).isConfigured)
    }

    @Test func staticProviderAnswersItsCredentials() async throws {
        let credentials = Credentials(accessKeyID: "AKIASTATIC", secretAccessKey: "STATICSECRET")
        let provider: any CredentialsProvider = StaticCredentialsProvider(credentials)
        #expect(try await provider.credentials() == credentials)
    }

    // MARK: Refreshing

    /// Credentials valid for 60 minutes, then the clock moves `minutes`: which key comes back, or an error.
    @Test(arguments: [
        (44.0, false, "ASIAFAKE1", 1),   // 16 min left: fresh, no fetch
        (46.0, false, "ASIAFAKE2", 2),   // 14 min left: advisory refresh succeeds
        (46.0, true, "ASIAFAKE1", 2),    // advisory refresh fails: keep the old ones
        (51.0, false, "ASIAFAKE2", 2),   // 9 min left: mandatory refresh succeeds
        (51.0, true, nil, 2),            // mandatory refresh fails: throw
        (61.0, false, "ASIAFAKE2", 2),   // expired: refresh
    ] as [(Double, Bool, String?, Int)])
    func refreshWindows(minutes: Double, sourceFails: Bool, expected: String?, fetches: Int) async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_900_000_000))
        let source = FakeProvider(lifetime: 3_600, clock: clock)
        let provider = RefreshingCredentialsProvider(source, now: clock.function)
        #expect(try await provider.credentials().accessKeyID == "ASIAFAKE1")
        clock.advance(.seconds(Double(minutes) * 60))
        source.fail(sourceFails)
        if let expected {
            #expect(try await provider.credentials().accessKeyID == expected)
        } else {
            await #expect(throws: S3Error.self) { try await provider.credentials() }
        }
        #expect(source.callCount == fetches)
    }

    @Test func refreshedCredentialsAreCachedAgain() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_900_000_000))
        let source = FakeProvider(lifetime: 3_600, clock: clock)
        let provider = RefreshingCredentialsProvider(source, now: clock.function)
        _ = try await provider.credentials()
        clock.advance(.seconds(55 * 60))
        #expect(try await provider.credentials().accessKeyID == "ASIAFAKE2")
        clock.advance(.seconds(30 * 60))
        #expect(try await provider.credentials().accessKeyID == "ASIAFAKE2")
        #expect(source.callCount == 2)
    }

    @Test func shortLivedCredentialsAreFetchedAtMostOnceAMinute() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_900_000_000))
        let source = FakeProvider(lifetime: 900, clock: clock)   // inside the advisory window from the start
        let provider = RefreshingCredentialsProvider(source, now: clock.function)
        #expect(try await provider.credentials().accessKeyID == "ASIAFAKE1")
        clock.advance(.seconds(0.5 * 60))
        #expect(try await provider.credentials().accessKeyID == "ASIAFAKE1")
        clock.advance(.seconds(0.6 * 60))
        #expect(try await provider.credentials().accessKeyID == "ASIAFAKE2")
        #expect(source.callCount == 2)
    }

    @Test func longTermCredentialsAreFetchedOnce() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_900_000_000))
        let source = FakeProvider(lifetime: nil, clock: clock)
        let provider = RefreshingCredentialsProvider(source, now: clock.function)
        _ = try await provider.credentials()
        clock.advance(.seconds(Double(10 * 365 * 24 * 60) * 60))
        #expect(try await provider.credentials().accessKeyID == "ASIAFAKE1")
        #expect(source.callCount == 1)
    }

    @Test func aFailedFirstFetchIsRetriedOnTheNextCall() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_900_000_000))
        let source = FakeProvider(clock: clock)
        let provider = RefreshingCredentialsProvider(source, now: clock.function)
        source.fail(true)
        await #expect(throws: S3Error.self) { try await provider.credentials() }
        source.fail(false)
        #expect(try await provider.credentials().accessKeyID == "ASIAFAKE2")
    }

    @Test(arguments: [0.0, 52.0])
    func concurrentCallersShareOneFetch(minutesLater: Double) async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_900_000_000))
        let source = FakeProvider(lifetime: 3_600, clock: clock, delay: .milliseconds(200))
        let provider = RefreshingCredentialsProvider(source, now: clock.function)
        var fetchesBefore = 0
        if minutesLater > 0 {
            _ = try await provider.credentials()
            clock.advance(.seconds(Double(minutesLater) * 60))
            fetchesBefore = 1
        }
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await provider.credentials().accessKeyID } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys == ["ASIAFAKE\(fetchesBefore + 1)"])
        #expect(source.callCount == fetchesBefore + 1)
    }

    // MARK: AssumeRole

    @Test func assumeRoleResponseIsParsedByElementName() throws {
        let credentials = try AssumeRoleCredentialsProvider.parseResponse(Array(assumeRoleResponse().utf8))
        #expect(credentials == Credentials(accessKeyID: "ASIAROLE", secretAccessKey: "ROLESECRET",
                                           sessionToken: "ROLETOKEN", expiration: Date(timeIntervalSince1970: 1_893_456_000)))
        let fractional = try AssumeRoleCredentialsProvider.parseResponse(
            Array(assumeRoleResponse(expiration: "2030-01-01T00:00:00.500Z").utf8))
        #expect(fractional.expiration == Date(timeIntervalSince1970: 1_893_456_000.5))
    }

    @Test(arguments: [
        "<AssumeRoleResponse><Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>ROLESECRET</SecretAccessKey>"
            + "<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResponse>",
        "<AssumeRoleResponse><Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>ROLESECRET</SecretAccessKey>"
            + "<SessionToken>ROLETOKEN</SessionToken><Expiration>soon</Expiration></Credentials></AssumeRoleResponse>",
        "<AssumeRoleResponse><SecretAccessKey>ROLESECRET</SecretAccessKey><SessionToken>ROLETOKEN",
        "SecretAccessKey=ROLESECRET SessionToken=ROLETOKEN",
    ])
    func malformedAssumeRoleResponsesNeverQuoteSecrets(body: String) {
        let error = #expect(throws: S3Error.self) { try AssumeRoleCredentialsProvider.parseResponse(Array(body.utf8)) }
        #expect(error?.kind == .invalidResponse)
        #expect(error.map { "\($0)".contains("ROLESECRET") || "\($0)".contains("ROLETOKEN") } == false)
    }

    @Test(arguments: [
        (403, """
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>
            <Code>AccessDenied</Code><Message>User: arn:aws:iam::1:user/u is not authorized to perform: sts:AssumeRole</Message>
            </Error><RequestId>req-9</RequestId></ErrorResponse>
            """, "AccessDenied", "is not authorized", "req-9"),
        (500, "<html>Internal Server Error</html>", "HTTP500", "STS answered HTTP 500", nil),
    ] as [(Int, String, String, String, String?)])
    func assumeRoleErrorAnswers(status: Int, body: String, code: String, message: String, requestID: String?) {
        let error = AssumeRoleCredentialsProvider.serviceError(reply(status, body), roleARN: "arn:aws:iam::1:role/r")
        #expect(error.kind == .service(status: status, code: code))
        #expect(error.message.contains(message))
        #expect(error.message.contains("arn:aws:iam::1:role/r"))
        #expect(error.requestID == requestID)
    }

    @Test func assumeRoleRequestIsASignedQueryPost() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_900_000_000))
        let transport = ScriptedTransport { _ in reply(200, assumeRoleResponse()) }
        let source = StaticCredentialsProvider(Credentials(accessKeyID: "AKIASOURCE", secretAccessKey: "SOURCESECRET",
                                                           sessionToken: "SOURCETOKEN"))
        let provider = try AssumeRoleCredentialsProvider(
            roleARN: "arn:aws:iam::123456789012:role/backup", externalID: "ext 1", source: source,
            endpointURL: "http://127.0.0.1:5055", region: "eu-central-1", transport: transport, now: clock.function)
        let credentials = try await provider.credentials()
        #expect(credentials.accessKeyID == "ASIAROLE")

        let request = try #require(transport.sent.first)
        #expect(transport.sent.count == 1)
        #expect(request.method == "POST")
        #expect(request.url == "http://127.0.0.1:5055/")
        let body = try #require(bodyText(request))
        #expect(body == "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fbackup"
            + "&RoleSessionName=s3backup-1900000000&DurationSeconds=3600&ExternalId=ext%201")
        #expect(header(request, "content-type") == "application/x-www-form-urlencoded; charset=utf-8")
        #expect(header(request, "x-amz-content-sha256") == Digest.sha256(Array(body.utf8)).hex)
        #expect(header(request, "host") == "127.0.0.1:5055")
        #expect(header(request, "x-amz-date") == "20300317T174640Z")
        #expect(header(request, "x-amz-security-token") == "SOURCETOKEN")
        let authorization = try #require(header(request, "authorization"))
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIASOURCE/20300317/eu-central-1/sts/aws4_request, "))
        #expect(authorization.contains("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token"))
    }

    @Test func assumeRoleRetriesTransientFailuresAndReportsFatalOnes() async throws {
        let answers = Mutex([reply(503, "<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>"),
                             reply(200, assumeRoleResponse(keyID: "ASIASECOND"))])
        let transport = ScriptedTransport { _ in answers.withLock { $0.removeFirst() } }
        let source = StaticCredentialsProvider(Credentials(accessKeyID: "AKIASOURCE", secretAccessKey: "SOURCESECRET"))
        let endpoint = try STSEndpoint(url: "http://127.0.0.1:1", signingRegion: "us-east-1", setting: "test")
        let provider = try AssumeRoleCredentialsProvider(
            roleARN: "arn:aws:iam::1:role/r", sessionName: "s", durationSeconds: 900, externalID: nil, source: source,
            endpoint: endpoint, transport: transport, retry: RetryPolicy(baseDelay: .milliseconds(1)), now: Date.init)
        #expect(try await provider.credentials().accessKeyID == "ASIASECOND")
        #expect(transport.sent.count == 2)

        let denied = ScriptedTransport { _ in
            reply(403, "<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>")
        }
        let refused = try AssumeRoleCredentialsProvider(
            roleARN: "arn:aws:iam::1:role/r", sessionName: "s", durationSeconds: 900, externalID: nil, source: source,
            endpoint: endpoint, transport: denied, retry: RetryPolicy(baseDelay: .milliseconds(1)), now: Date.init)
        let error = await #expect(throws: S3Error.self) { try await refused.credentials() }
        #expect(error?.kind == .service(status: 403, code: "AccessDenied"))
        #expect(error?.operation == "AssumeRole")
        #expect(error.map { "\($0)".contains("SOURCESECRET") } == false)
        #expect(denied.sent.count == 1)
    }

    @Test(arguments: [899, 43_201])
    func assumeRoleDurationIsBounded(seconds: Int) {
        #expect(throws: S3Error.self) {
            try AssumeRoleCredentialsProvider(roleARN: "r", durationSeconds: seconds, source: StaticCredentialsProvider(
                Credentials(accessKeyID: "a", secretAccessKey: "b")), endpointURL: "https://sts.amazonaws.com",
                region: "", transport: ScriptedTransport.unused)
        }
    }

    static let servicesConfig = """
        [default]
        region = eu-west-1
        [profile custom]
        endpoint_url = http://127.0.0.1:7000
        services = local
        [profile plain]
        endpoint_url = http://127.0.0.1:7001/base/
        [services local]
        sts =
          endpoint_url = http://127.0.0.1:7002
        """

    @Test(arguments: [
        ([:], "default", "eu-west-1", "https://sts.eu-west-1.amazonaws.com/", "eu-west-1"),
        ([:], "default", "", "https://sts.amazonaws.com/", "us-east-1"),
        ([:], "default", "cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn/", "cn-north-1"),
        ([:], "plain", "us-west-2", "http://127.0.0.1:7001/base", "us-west-2"),
        ([:], "custom", "us-west-2", "http://127.0.0.1:7002/", "us-west-2"),
        (["AWS_ENDPOINT_URL": "http://127.0.0.1:7003"], "custom", "", "http://127.0.0.1:7003/", "us-east-1"),
        (["AWS_ENDPOINT_URL": "http://127.0.0.1:7003", "AWS_ENDPOINT_URL_STS": "http://[::1]:7004"], "custom", "x-1",
         "http://[::1]:7004/", "x-1"),
        (["AWS_ENDPOINT_URL": "http://127.0.0.1:7003", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"], "custom",
         "us-west-2", "https://sts.us-west-2.amazonaws.com/", "us-west-2"),
    ] as [([String: String], String, String, String, String)])
    func stsEndpoint(environment: [String: String], profile: String, region: String, url: String,
                     signingRegion: String) throws {
        let config = SharedConfig(credentialsText: "", configText: Self.servicesConfig)
        let endpoint = try STSEndpoint.resolve(environment: environment, config: config, profile: profile, region: region)
        #expect(endpoint.url == url)
        #expect(endpoint.signingRegion == signingRegion)
    }

    // MARK: Container

    @Test(arguments: [
        "http://127.0.0.1:8080/creds", "http://127.1.2.3/x", "http://localhost/x", "http://LOCALHOST:9/x",
        "http://[::1]:80/x", "http://169.254.170.2/v2/credentials", "http://169.254.170.23/v1/credentials",
        "http://[fd00:ec2::23]/v1/credentials", "https://example.com/creds", "https://10.0.0.1/",
    ])
    func containerFullURIAccepted(uri: String) throws {
        #expect(try ContainerCredentialsProvider.endpoint(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": uri]) == uri)
    }

    @Test(arguments: [
        "http://10.0.0.1/", "http://169.254.169.254/latest", "http://example.com/creds", "http://128.0.0.1/",
        "http://[fd00:ec2::24]/", "http://[::2]/", "ftp://127.0.0.1/creds", "not a url", "http:///path",
    ])
    func containerFullURIRefused(uri: String) {
        let error = #expect(throws: S3Error.self) {
            try ContainerCredentialsProvider.endpoint(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": uri])
        }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI") == true)
    }

    @Test func containerRelativeURIWinsAndGoesToTheECSAgent() throws {
        let environment = ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc",
                           "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://10.0.0.1/"]
        #expect(try ContainerCredentialsProvider.endpoint(environment: environment)
            == "http://169.254.170.2/v2/credentials/abc")
        #expect(try ContainerCredentialsProvider.endpoint(environment: [:]) == nil)
    }

    static let containerDocument = """
        {"AccessKeyId": "ASIACONTAINER", "SecretAccessKey": "CONTAINERSECRET", "Token": "CONTAINERTOKEN",
         "Expiration": "2030-01-01T00:00:00Z", "RoleArn": "arn:aws:iam::1:role/task"}
        """

    @Test func containerFetchSendsTheTokenAndRetriesServerErrors() async throws {
        let answers = Mutex([reply(500, "busy"), reply(200, Self.containerDocument)])
        let transport = ScriptedTransport { _ in answers.withLock { $0.removeFirst() } }
        let provider = try ContainerCredentialsProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds",
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN": "AUTHTOKEN"],
            transport: transport, retryDelay: .zero)
        let credentials = try await provider.credentials()
        #expect(credentials == Credentials(accessKeyID: "ASIACONTAINER", secretAccessKey: "CONTAINERSECRET",
                                           sessionToken: "CONTAINERTOKEN",
                                           expiration: Date(timeIntervalSince1970: 1_893_456_000)))
        #expect(transport.sent.count == 2)
        for request in transport.sent {
            #expect(request.url == "http://127.0.0.1:9/creds")
            #expect(header(request, "Authorization") == "AUTHTOKEN")
            #expect(request.timeoutMilliseconds == 2_000)
        }
    }

    @Test(arguments: [
        (reply(401, "{\"message\": \"bad token\"}"), S3Error.Kind.service(status: 401, code: "HTTP401"), 1),
        (reply(200, "{\"SecretAccessKey\": \"CONTAINERSECRET\"}"), .invalidResponse, 1),
        (reply(200, "CONTAINERSECRET is not JSON"), .invalidResponse, 1),
        (reply(503, "down"), .service(status: 503, code: "HTTP503"), 3),
    ] as [(HTTPResponse, S3Error.Kind, Int)])
    func containerFailures(answer: HTTPResponse, kind: S3Error.Kind, attempts: Int) async throws {
        let transport = ScriptedTransport { _ in answer }
        let provider = try ContainerCredentialsProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds"], transport: transport,
            retryDelay: .zero)
        let error = await #expect(throws: S3Error.self) { try await provider.credentials() }
        #expect(error?.kind == kind)
        #expect(error.map { "\($0)".contains("CONTAINERSECRET") } == false)
        #expect(transport.sent.count == attempts)
    }

    // MARK: Instance metadata

    /// An IMDS that issues token `T1`, `T2`, … and answers GETs that carry a token it issued (or any GET when
    /// `tokens` is false, as IMDSv1 does).
    fileprivate static func metadataService(tokens: Bool = true) -> ScriptedTransport {
        let issued = Mutex<[String]>([])
        return ScriptedTransport { request in
            let path = request.url.replacingOccurrences(of: "http://127.0.0.1:9", with: "")
            if request.method == "PUT" {
                guard tokens else { return reply(404, "") }
                guard header(request, "X-aws-ec2-metadata-token-ttl-seconds") == "21600" else { return reply(400, "") }
                return reply(200, issued.withLock { $0.append("T\($0.count + 1)"); return $0.last! })
            }
            if tokens {
                guard let token = header(request, "X-aws-ec2-metadata-token"), issued.withLock({ $0.contains(token) })
                else { return reply(401, "") }
            }
            switch path {
            case "/latest/meta-data/iam/security-credentials/": return reply(200, "backup-role\n")
            case "/latest/meta-data/iam/security-credentials/backup-role":
                return reply(200, """
                    {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIAIMDS", "SecretAccessKey": "IMDSSECRET",
                     "Token": "IMDSTOKEN", "Expiration": "2030-01-01T00:00:00Z"}
                    """)
            default: return reply(404, "")
            }
        }
    }

    @Test func instanceMetadataUsesAndReusesASessionToken() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_900_000_000))
        let transport = Self.metadataService()
        let provider = try InstanceMetadataCredentialsProvider(
            environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9/"], transport: transport,
            now: clock.function)
        #expect(provider.endpoint == "http://127.0.0.1:9")
        let credentials = try await provider.credentials()
        #expect(credentials.accessKeyID == "ASIAIMDS")
        #expect(credentials.sessionToken == "IMDSTOKEN")
        #expect(credentials.expiration == Date(timeIntervalSince1970: 1_893_456_000))
        clock.advance(.seconds(60 * 60))
        _ = try await provider.credentials()
        #expect(transport.sent.map(\.method) == ["PUT", "GET", "GET", "GET", "GET"])
        #expect(transport.sent.dropFirst().allSatisfy { header($0, "X-aws-ec2-metadata-token") == "T1" })
        #expect(transport.sent.allSatisfy { $0.timeoutMilliseconds == 1_000 })
        clock.advance(.seconds(Double(6 * 60) * 60))
        _ = try await provider.credentials()
        #expect(transport.sent.filter { $0.method == "PUT" }.count == 2)
        #expect(header(transport.sent.last!, "X-aws-ec2-metadata-token") == "T2")
    }

    @Test func instanceMetadataReplacesARejectedToken() async throws {
        let rejectFirst = Mutex(true)
        let service = Self.metadataService()
        let transport = ScriptedTransport { request in
            if request.method == "GET", header(request, "X-aws-ec2-metadata-token") == "T1",
               rejectFirst.withLock({ $0 }), request.url.hasSuffix("backup-role") {
                rejectFirst.withLock { $0 = false }
                return reply(401, "")
            }
            return try service.answer(request)
        }
        let provider = try InstanceMetadataCredentialsProvider(
            environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"], transport: transport)
        #expect(try await provider.credentials().accessKeyID == "ASIAIMDS")
        #expect(transport.sent.filter { $0.method == "PUT" }.count == 2)
    }

    @Test func instanceMetadataFallsBackToV1UnlessDisabled() async throws {
        let transport = Self.metadataService(tokens: false)
        let provider = try InstanceMetadataCredentialsProvider(
            environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"], transport: transport)
        #expect(try await provider.credentials().accessKeyID == "ASIAIMDS")
        #expect(transport.sent.allSatisfy { header($0, "X-aws-ec2-metadata-token") == nil })

        let strict = try InstanceMetadataCredentialsProvider(
            environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"],
            profile: ["ec2_metadata_v1_disabled": "true"], transport: Self.metadataService(tokens: false))
        let error = await #expect(throws: S3Error.self) { try await strict.credentials() }
        #expect(error?.message.contains("IMDSv1 is disabled") == true)
    }

    @Test func instanceMetadataSettings() throws {
        let transport = ScriptedTransport.unused
        let tuned = try InstanceMetadataCredentialsProvider(
            environment: ["AWS_METADATA_SERVICE_TIMEOUT": "2.5", "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "3",
                          "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"], transport: transport)
        #expect(tuned.endpoint == InstanceMetadataCredentialsProvider.ipv6Endpoint)
        #expect(!tuned.isDisabled)
        let standard = try InstanceMetadataCredentialsProvider(environment: [:], transport: transport)
        #expect(standard.endpoint == "http://169.254.169.254")
        for environment in [["AWS_METADATA_SERVICE_TIMEOUT": "soon"], ["AWS_METADATA_SERVICE_NUM_ATTEMPTS": "0"],
                            ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "169.254.169.254"],
                            ["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv5"]] {
            #expect(throws: S3Error.self) { try InstanceMetadataCredentialsProvider(environment: environment, transport: transport) }
        }
    }

    @Test func disabledInstanceMetadataSendsNothing() async throws {
        let provider = try InstanceMetadataCredentialsProvider(environment: ["AWS_EC2_METADATA_DISABLED": "TRUE"],
                                                               transport: ScriptedTransport.unused)
        #expect(provider.isDisabled)
        await #expect(throws: S3Error.self) { try await provider.credentials() }
    }

    // MARK: Chain

    static let chainCredentials = """
        [default]
        aws_access_key_id = AKIADEFAULT
        aws_secret_access_key = DEFAULTSECRET
        [prod]
        aws_access_key_id = AKIAPROD
        aws_secret_access_key = PRODSECRET
        aws_session_token = PRODTOKEN
        [half]
        aws_access_key_id = AKIAHALF
        [self]
        aws_access_key_id = AKIASELF
        aws_secret_access_key = SELFSECRET
        """
    static let chainConfig = """
        [profile configkeys]
        aws_access_key_id = AKIACONFIG
        aws_secret_access_key = CONFIGSECRET
        [profile regiononly]
        region = eu-west-1
        [profile role]
        role_arn = arn:aws:iam::1:role/one
        source_profile = prod
        [profile nested]
        role_arn = arn:aws:iam::1:role/two
        source_profile = role
        role_session_name = nested-session
        [profile self]
        role_arn = arn:aws:iam::1:role/self
        source_profile = self
        [profile loop-a]
        role_arn = arn:aws:iam::1:role/a
        source_profile = loop-b
        [profile loop-b]
        role_arn = arn:aws:iam::1:role/b
        source_profile = loop-a
        [profile selfloop]
        role_arn = arn:aws:iam::1:role/s
        source_profile = selfloop
        [profile envrole]
        role_arn = arn:aws:iam::1:role/env
        credential_source = Environment
        [profile badsource]
        role_arn = arn:aws:iam::1:role/x
        credential_source = Laptop
        [profile nosource]
        role_arn = arn:aws:iam::1:role/x
        [profile twosources]
        role_arn = arn:aws:iam::1:role/x
        source_profile = prod
        credential_source = Environment
        [profile dangling]
        role_arn = arn:aws:iam::1:role/x
        source_profile = ghost
        [profile keyless-source]
        role_arn = arn:aws:iam::1:role/x
        source_profile = regiononly
        [profile mfa]
        role_arn = arn:aws:iam::1:role/x
        source_profile = prod
        mfa_serial = arn:aws:iam::1:mfa/u
        """

    static let chainSecrets = ["DEFAULTSECRET", "PRODSECRET", "PRODTOKEN", "SELFSECRET", "CONFIGSECRET", "ENVSECRET"]
    static let environmentKeys = ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "ENVSECRET"]
    static let noMetadata = ["AWS_EC2_METADATA_DISABLED": "true"]

    static func chain(_ profile: String, _ environment: [String: String], transport: any HTTPTransport = ScriptedTransport.unused,
                      credentials: String = chainCredentials) -> any CredentialsProvider {
        let config = try! SharedConfig(credentialsText: credentials, configText: chainConfig,
                                       credentialsPath: "/h/.aws/credentials", configPath: "/h/.aws/config")
        return CredentialChain.standard(profile: profile, environment: environment, config: config,
                                        transport: transport, region: "us-east-1")
    }

    @Test(arguments: [
        ("default", environmentKeys, "AKIAENV"),
        ("default", [:], "AKIADEFAULT"),
        ("prod", environmentKeys, "AKIAPROD"),                                  // --profile beats the environment
        ("prod", environmentKeys.merging(["AWS_PROFILE": "prod"]) { $1 }, "AKIAENV"),  // AWS_PROFILE does not
        ("prod", ["AWS_DEFAULT_PROFILE": "prod"], "AKIAPROD"),
        ("configkeys", [:], "AKIACONFIG"),
        ("self", [:], "ASIAROLE1"),
        ("envrole", environmentKeys.merging(["AWS_PROFILE": "envrole"]) { $1 }, "AKIAENV"),
        ("envrole", environmentKeys, "ASIAROLE1"),
    ] as [(String, [String: String], String)])
    func chainPicksTheSource(profile: String, environment: [String: String], keyID: String) async throws {
        let counter = Mutex(0)
        let sts = ScriptedTransport { _ in reply(200, assumeRoleResponse(keyID: "ASIAROLE\(counter.withLock { $0 += 1; return $0 })")) }
        let provider = Self.chain(profile, environment.merging(Self.noMetadata) { $1 }, transport: sts)
        #expect(try await provider.credentials().accessKeyID == keyID)
    }

    @Test func chainAssumesNestedRolesInOrder() async throws {
        let counter = Mutex(0)
        let sts = ScriptedTransport { _ in reply(200, assumeRoleResponse(keyID: "ASIAROLE\(counter.withLock { $0 += 1; return $0 })")) }
        let provider = Self.chain("nested", Self.noMetadata, transport: sts)
        let credentials = try await provider.credentials()
        #expect(credentials.accessKeyID == "ASIAROLE2")
        #expect(credentials.sessionToken == "ROLETOKEN")
        let requests = sts.sent
        #expect(requests.count == 2)
        #expect(requests.compactMap { header($0, "authorization") }.map { $0.contains("Credential=AKIAPROD/") }
            == [true, false])
        #expect(header(requests[1], "authorization")?.contains("Credential=ASIAROLE1/") == true)
        #expect(bodyText(requests[0])?.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fone") == true)
        #expect(bodyText(requests[1])?.contains("RoleSessionName=nested-session") == true)
        #expect(requests.allSatisfy { $0.url == "https://sts.us-east-1.amazonaws.com/" })
        #expect(try await provider.credentials().accessKeyID == "ASIAROLE2")
        #expect(sts.sent.count == 2)
    }

    @Test(arguments: [
        ("ghost", "profile \"ghost\" does not exist in /h/.aws/credentials or /h/.aws/config"),
        ("loop-a", "loop"),
        ("selfloop", "loop"),
        ("half", "no aws_secret_access_key"),
        ("badsource", "must be Environment, Ec2InstanceMetadata or EcsContainer"),
        ("nosource", "neither source_profile nor credential_source"),
        ("twosources", "both source_profile and credential_source"),
        ("dangling", "\"ghost\", the source_profile of profile \"dangling\", does not exist"),
        ("keyless-source", "has no credentials"),
        ("mfa", "mfa_serial"),
        ("envrole", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"),
    ])
    func chainConfigurationErrors(profile: String, fragment: String) async {
        let provider = Self.chain(profile, Self.noMetadata)
        let error = await #expect(throws: S3Error.self) { try await provider.credentials() }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
        let text = error.map { "\($0)" } ?? ""
        #expect(!Self.chainSecrets.contains { text.contains($0) })
    }

    @Test func aBadSTSEndpointMattersOnlyToRoles() async throws {
        let environment = Self.noMetadata.merging(["AWS_ENDPOINT_URL": "127.0.0.1:5000"]) { $1 }
        #expect(try await Self.chain("prod", environment).credentials().accessKeyID == "AKIAPROD")
        let error = await #expect(throws: S3Error.self) { try await Self.chain("role", environment).credentials() }
        #expect(error?.message.contains("AWS_ENDPOINT_URL \"127.0.0.1:5000\" is not a valid endpoint URL") == true)
    }

    @Test func nothingConfiguredMeansNoCredentials() async {
        let provider = Self.chain("default", Self.noMetadata, credentials: "")
        let error = await #expect(throws: S3Error.self) { try await provider.credentials() }
        #expect(error?.kind == .configuration)
        #expect(error?.message == CredentialChain.noCredentialsMessage)
        #expect(CredentialChain.noCredentialsMessage == "no AWS credentials found: set AWS_ACCESS_KEY_ID and "
            + "AWS_SECRET_ACCESS_KEY, pass --profile, or run on EC2/ECS with a role")
    }

    @Test func unreachableInstanceMetadataMeansNoCredentials() async {
        let down = ScriptedTransport { _ in throw TransportError(code: 7, message: "Couldn't connect to server", underlying: nil) }
        let provider = Self.chain("regiononly", ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"],
                                  transport: down, credentials: "")
        let error = await #expect(throws: S3Error.self) { try await provider.credentials() }
        #expect(error?.kind == .configuration)
        #expect(error?.message.hasPrefix(CredentialChain.noCredentialsMessage) == true)
        #expect(down.sent.count == 1)
    }

    @Test func chainFallsToContainerThenInstanceMetadata() async throws {
        let container = ScriptedTransport { _ in reply(200, Self.containerDocument) }
        let viaContainer = Self.chain("default", ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/c"],
                                      transport: container, credentials: "")
        #expect(try await viaContainer.credentials().accessKeyID == "ASIACONTAINER")

        let metadata = Self.metadataService()
        let viaMetadata = Self.chain("default", ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"],
                                     transport: metadata, credentials: "")
        #expect(try await viaMetadata.credentials().accessKeyID == "ASIAIMDS")

        let refused = Self.chain("default", ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://10.0.0.1/"], credentials: "")
        let error = await #expect(throws: S3Error.self) { try await refused.credentials() }
        #expect(error?.message.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI") == true)
    }
}
