import Foundation
import S3
import Testing

/// Credential endpoints are reached directly even when a proxy is configured: the container's authorization token,
/// the instance's session token and the credentials themselves must not pass through a proxy. The proxy is set on
/// the test's own transport (CURLOPT_PROXY), not in the process environment, which other tests share.
@Suite("Credential requests bypass proxies", .timeLimit(.minutes(2)))
struct ProxyBypassTests {
    /// A transport whose proxy is `proxy`.
    private func transport(proxy: HostileEndpoint) -> CurlTransport {
        var options = CurlTransport.Options()
        options.proxy = proxy.endpoint
        return CurlTransport(options: options)
    }

    /// The stand-in's request log (its `/log`), fetched directly.
    private func log(_ standin: LoopbackServer) async throws -> [[String: Any]] {
        let response = try await CurlTransport().perform(HTTPRequest(method: "GET", url: "\(standin.endpoint)/log"))
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]] ?? []
    }

    @Test func containerCredentialsGoDirect() async throws {
        try await HostileEndpoint.with { proxy in
            try await LoopbackServer.with("ops/test/metadata_standin.py", arguments: ["--authorization", "ecs-token"]) { standin in
                let transport = transport(proxy: proxy)
                let provider = try ContainerCredentialsProvider(
                    environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "\(standin.endpoint)/ecs/credentials",
                                  "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ecs-token"],
                    transport: transport, retryDelay: .milliseconds(10))
                let credentials = try await within(seconds: 60, "container credentials") { try await provider.credentials() }
                #expect(credentials.accessKeyID.hasPrefix("ASIASTANDIN"))
                #expect(try await proxy.stats().requests.isEmpty, "the proxy saw nothing")
                #expect(try await log(standin).contains { $0["path"] as? String == "/ecs/credentials" && $0["authorization"] as? Bool == true })

                // The proxy is in force for everything else: a plain request through the same transport reaches it.
                _ = try await transport.perform(HTTPRequest(method: "GET", url: "\(standin.endpoint)/log"))
                #expect(try await proxy.stats().requests.count == 1)
            }
        }
    }

    @Test func instanceMetadataGoesDirect() async throws {
        try await HostileEndpoint.with { proxy in
            try await LoopbackServer.with("ops/test/metadata_standin.py") { standin in
                let provider = try InstanceMetadataCredentialsProvider(
                    environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": standin.endpoint], transport: transport(proxy: proxy))
                let credentials = try await within(seconds: 60, "instance credentials") { try await provider.credentials() }
                #expect(credentials.accessKeyID.hasPrefix("ASIASTANDIN"))
                #expect(try await proxy.stats().requests.isEmpty, "the proxy saw nothing")
                let paths = try await log(standin).compactMap { $0["path"] as? String }
                #expect(paths.contains("/latest/api/token") && paths.contains("/latest/meta-data/iam/security-credentials/"))
            }
        }
    }
}
