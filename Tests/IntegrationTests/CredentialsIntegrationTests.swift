import Foundation
import S3
import SigV4
import Synchronization
import TestSupport
import Testing

/// The credential chain over real HTTP on loopback: the metadata stand-in (ops/test/metadata_standin.py) plays
/// IMDSv2 and the container endpoint, moto plays STS. No request ever leaves 127.0.0.1: every chain here points
/// IMDS at a stand-in or disables it, and none sets AWS_CONTAINER_CREDENTIALS_RELATIVE_URI.
@Suite(.timeLimit(.minutes(10))) struct CredentialsIntegrationTests {
    /// One request the stand-in saw.
    struct Seen: Decodable, Equatable {
        var method: String
        var path: String
        var token: Bool
        var authorization: Bool
    }

    /// A fresh directory for one test's files.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("credentials-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// An environment whose shared files live in `directory` (and may not exist), with IMDS at `metadata`.
    static func environment(_ directory: URL, metadata: String?, extra: [String: String] = [:]) -> [String: String] {
        var environment = ["HOME": directory.path,
                           "AWS_SHARED_CREDENTIALS_FILE": directory.appendingPathComponent("credentials").path,
                           "AWS_CONFIG_FILE": directory.appendingPathComponent("config").path]
        if let metadata {
            environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = metadata
        } else {
            environment["AWS_EC2_METADATA_DISABLED"] = "true"
        }
        return environment.merging(extra) { $1 }
    }

    static func chain(_ environment: [String: String], profile: String? = nil, region: String = "us-east-1",
                      now: @escaping @Sendable () -> Date = Date.init) throws -> any CredentialsProvider {
        CredentialChain.standard(profile: resolveProfileName(profile, environment: environment), environment: environment,
                                 config: try SharedConfig.load(environment: environment), transport: CurlTransport(),
                                 region: region, now: now)
    }

    /// What the stand-in has seen so far.
    static func log(_ server: HelperServer) async throws -> [Seen] {
        let response = try await CurlTransport().perform(HTTPRequest(method: "GET", url: server.endpoint + "/log",
                                                                     timeoutMilliseconds: 5_000))
        try #require(response.status == 200)
        return try JSONDecoder().decode([Seen].self, from: Data(response.body))
    }

    static let tokenPath = "/latest/api/token"
    static let rolePath = "/latest/meta-data/iam/security-credentials/"
    static let credentialsPath = "/latest/meta-data/iam/security-credentials/standin-role"

    @Test func instanceMetadataChainPicksUpCredentials() async throws {
        let server = try await HelperServer(script: "metadata_standin.py", arguments: ["--expires-in", "3600"])
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let chain = try Self.chain(Self.environment(directory, metadata: server.endpoint))

        let credentials = try await chain.credentials()
        #expect(credentials.accessKeyID == "ASIASTANDIN1")
        #expect(credentials.secretAccessKey == "standin-secret-1")
        #expect(credentials.sessionToken == "standin-session-token-1")
        let expiration = try #require(credentials.expiration)
        #expect(abs(expiration.timeIntervalSinceNow - 3_600) < 120)
        #expect(!"\(credentials)".contains("standin-secret-1"))

        #expect(try await chain.credentials() == credentials)
        #expect(try await Self.log(server) == [
            Seen(method: "PUT", path: Self.tokenPath, token: false, authorization: false),
            Seen(method: "GET", path: Self.rolePath, token: true, authorization: false),
            Seen(method: "GET", path: Self.credentialsPath, token: true, authorization: false),
        ])
    }

    @Test func refreshBeforeExpiryYieldsTheNextKey() async throws {
        let server = try await HelperServer(script: "metadata_standin.py", arguments: ["--expires-in", "3600"])
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = TestClock(Date()) // the real time: the stand-in stamps real expirations
        let chain = try Self.chain(Self.environment(directory, metadata: server.endpoint), now: clock.function)

        #expect(try await chain.credentials().accessKeyID == "ASIASTANDIN1")
        clock.advance(.seconds(30 * 60))
        #expect(try await chain.credentials().accessKeyID == "ASIASTANDIN1")
        clock.advance(.seconds(16 * 60))   // 14 minutes left: advisory refresh
        #expect(try await chain.credentials().accessKeyID == "ASIASTANDIN2")
        clock.advance(.seconds(51 * 60))   // 9 minutes left of the second set: mandatory refresh
        #expect(try await chain.credentials().accessKeyID == "ASIASTANDIN3")

        let log = try await Self.log(server)
        #expect(log.filter { $0.method == "PUT" }.count == 1, "the session token is reused")
        #expect(log.filter { $0.path == Self.credentialsPath }.count == 3)
        #expect(log.filter { $0.method == "GET" }.allSatisfy { $0.token })
    }

    @Test func containerFullURIWithTokenFile() async throws {
        let token = "Bearer standin-authorization-1"
        let server = try await HelperServer(script: "metadata_standin.py", arguments: ["--authorization", token])
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token")
        try Data("\(token)\n".utf8).write(to: tokenFile)
        let environment = Self.environment(directory, metadata: nil, extra: [
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.endpoint + "/ecs/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile.path,
        ])

        let credentials = try await Self.chain(environment).credentials()
        #expect(credentials.accessKeyID == "ASIASTANDIN1")
        #expect(credentials.sessionToken == "standin-session-token-1")
        #expect(credentials.expiration != nil)

        // The file is read at every fetch: a rotated (here: wrong) token is sent as it now is.
        let provider = try ContainerCredentialsProvider(environment: environment, transport: CurlTransport())
        try Data("Bearer wrong".utf8).write(to: tokenFile)
        let error = await #expect(throws: S3Error.self) { try await provider.credentials() }
        #expect(error?.status == 401)
        #expect(error.map { "\($0)".contains("wrong") || "\($0)".contains("standin-authorization") } == false)
        try Data(token.utf8).write(to: tokenFile)
        #expect(try await provider.credentials().accessKeyID == "ASIASTANDIN2")

        #expect(try await Self.log(server) == [
            Seen(method: "GET", path: "/ecs/credentials", token: false, authorization: true),
            Seen(method: "GET", path: "/ecs/credentials", token: false, authorization: true),
            Seen(method: "GET", path: "/ecs/credentials", token: false, authorization: true),
        ])
    }

    /// The STS endpoint comes from AWS_ENDPOINT_URL, or from the profile's `[services]` section.
    @Test(arguments: [true, false])
    func assumeRoleAgainstMoto(endpointFromEnvironment: Bool) async throws {
        let moto = try await HelperServer(script: "emulator.py")
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("""
            [base]
            aws_access_key_id = AKIAIOSFODNN7EXAMPLE
            aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
            """.utf8).write(to: directory.appendingPathComponent("credentials"))
        try Data("""
            [profile backup]
            role_arn = arn:aws:iam::123456789012:role/backup
            source_profile = base
            role_session_name = integration-test
            duration_seconds = 900
            services = local-moto

            [services local-moto]
            sts =
              endpoint_url = \(moto.endpoint)
            """.utf8).write(to: directory.appendingPathComponent("config"))
        var environment = Self.environment(directory, metadata: nil)
        if endpointFromEnvironment {
            environment["AWS_ENDPOINT_URL"] = moto.endpoint
            try Data("[profile backup]\nrole_arn = arn:aws:iam::123456789012:role/backup\nsource_profile = base\n".utf8)
                .write(to: directory.appendingPathComponent("config"))
        }

        let chain = try Self.chain(environment, profile: "backup", region: "eu-west-1")
        let credentials = try await chain.credentials()
        #expect(credentials.accessKeyID.hasPrefix("ASIA"))
        #expect(credentials.secretAccessKey != "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        #expect(!(credentials.sessionToken ?? "").isEmpty)
        let expiration = try #require(credentials.expiration)
        #expect(expiration > Date())
        #expect(try await chain.credentials() == credentials, "cached until near expiry")
    }

    @Test func assumeRoleFailureCarriesTheServiceError() async throws {
        // With authentication on, moto refuses keys IAM does not know.
        let moto = try await HelperServer(script: "emulator.py", arguments: ["INITIAL_NO_AUTH_ACTION_COUNT=0"])
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = base-secret-key\n".utf8)
            .write(to: directory.appendingPathComponent("credentials"))
        try Data("[profile backup]\nrole_arn = arn:aws:iam::123456789012:role/backup\nsource_profile = base\n".utf8)
            .write(to: directory.appendingPathComponent("config"))
        let environment = Self.environment(directory, metadata: nil, extra: ["AWS_ENDPOINT_URL": moto.endpoint])
        let error = await #expect(throws: S3Error.self) {
            try await Self.chain(environment, profile: "backup").credentials()
        }
        #expect(error?.operation == "AssumeRole")
        #expect(error?.status == 403)
        #expect(error?.code == "InvalidClientTokenId")
        #expect(error?.message.contains("arn:aws:iam::123456789012:role/backup") == true)
        #expect(error.map { "\($0)".contains("base-secret-key") } == false)
    }

    @Test func nothingAnsweringMeansNoCredentials() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Port 1 on loopback refuses connections at once.
        let chain = try Self.chain(Self.environment(directory, metadata: "http://127.0.0.1:1"))
        let error = await #expect(throws: S3Error.self) { try await chain.credentials() }
        #expect(error?.kind == .configuration)
        #expect(error?.message.hasPrefix(CredentialChain.noCredentialsMessage) == true)
    }

    @Test func explicitProfileMissingFromBothFiles() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = Self.environment(directory, metadata: nil, extra: ["AWS_PROFILE": "ghost"])
        let error = await #expect(throws: S3Error.self) { try await Self.chain(environment).credentials() }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("\"ghost\"") == true)
        #expect(error?.message.contains(directory.appendingPathComponent("credentials").path) == true)
        #expect(error?.message.contains(directory.appendingPathComponent("config").path) == true)
    }

    @Test func sharedConfigLoadsTheFilesTheEnvironmentNames() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let aws = directory.appendingPathComponent(".aws")
        try FileManager.default.createDirectory(at: aws, withIntermediateDirectories: true)

        // Neither file exists: no profiles, no error.
        let empty = try SharedConfig.load(environment: ["HOME": directory.path])
        #expect(empty.profile("default") == nil)
        #expect(empty.credentialsFilePath == aws.appendingPathComponent("credentials").path)

        // Defaults under $HOME; `~/` in the variables means $HOME too.
        try Data("[default]\naws_access_key_id = AKIAHOME\n".utf8).write(to: aws.appendingPathComponent("credentials"))
        try Data("[default]\nregion = eu-north-1\n".utf8).write(to: directory.appendingPathComponent("other-config"))
        let loaded = try SharedConfig.load(environment: ["HOME": directory.path, "AWS_CONFIG_FILE": "~/other-config"])
        #expect(loaded.profile("default") == ["aws_access_key_id": "AKIAHOME", "region": "eu-north-1"])

        // A directory where a file should be, and a malformed file: errors naming the file (and line).
        let unreadable = #expect(throws: S3Error.self) {
            try SharedConfig.load(environment: ["HOME": directory.path, "AWS_SHARED_CREDENTIALS_FILE": aws.path])
        }
        #expect(unreadable?.kind == .configuration)
        #expect(unreadable?.message.contains(aws.path) == true)
        try Data("[default]\nregion = x\nnot a setting\n".utf8).write(to: directory.appendingPathComponent("bad"))
        let malformed = #expect(throws: S3Error.self) {
            try SharedConfig.load(environment: ["HOME": directory.path,
                                                "AWS_CONFIG_FILE": directory.appendingPathComponent("bad").path])
        }
        #expect(malformed?.message.contains("\(directory.appendingPathComponent("bad").path) line 3") == true)
    }
}
