import Foundation
import S3
import SigV4

/// Tests/Faults/hostile_endpoint.py on a free loopback port: answers too deep, too large or too slow, and a record of
/// every request it got.
struct HostileEndpoint {
    /// What the endpoint saw.
    struct Stats {
        /// Request lines, in arrival order (its own stats requests left out).
        let requests: [String]
        /// Body bytes each finished GET sent before it ended or the client went away, by request line.
        let sent: [String: Int]
    }

    let server: LoopbackServer
    /// `http://127.0.0.1:PORT`.
    var endpoint: String { server.endpoint }
    private let direct = CurlTransport()

    /// What the endpoint has seen so far.
    func stats() async throws -> Stats {
        let response = try await direct.perform(HTTPRequest(method: "GET", url: "\(endpoint)/__stats"))
        let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
        return Stats(requests: json["requests"] as? [String] ?? [], sent: json["sent"] as? [String: Int] ?? [:])
    }

    /// The stats once `condition` holds of them; a `DeadlineExceeded` after `seconds` without.
    func stats(within seconds: Double, until condition: (Stats) -> Bool) async throws -> Stats {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let stats = try await stats()
            if condition(stats) { return stats }
            guard ContinuousClock.now < deadline else {
                throw DeadlineExceeded(description: "the endpoint's stats did not settle within \(seconds) s: \(stats)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Runs `body` with an endpoint of its own, stopped afterwards.
    static func with<T>(_ body: (HostileEndpoint) async throws -> T) async throws -> T {
        try await LoopbackServer.with("Tests/Faults/hostile_endpoint.py") { server in
            try await body(HostileEndpoint(server: server))
        }
    }

    /// A client of this endpoint over libcurl, with fast retries and `timeLimit`.
    func client(timeLimit: RequestTimeLimit? = RequestTimeLimit()) -> S3Client {
        var configuration = S3Configuration(
            endpoint: try! Endpoint(url: endpoint, setting: "test"), region: "us-east-1",
            credentials: StaticCredentialsProvider(Credentials(accessKeyID: "AKIDTEST", secretAccessKey: "SECRETVALUE")),
            retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1)))
        configuration.requestTimeLimit = timeLimit
        return S3Client(configuration: configuration)
    }
}
