import Foundation
import S3

/// Tests/Faults/fault_proxy.py in front of an S3 endpoint: breaks a share of the exchanges by kind, and counts.
struct FaultProxy {
    /// What the proxy saw and did.
    struct Stats {
        /// Requests received (control requests aside).
        let requests: Int
        /// Faults injected, by kind.
        let injected: [String: Int]
        /// Each request's arrival, in seconds since the proxy started.
        let times: [Double]
        /// RestoreObject requests by `/bucket/key?versionId=…`.
        let restores: [String: Int]

        /// All faults injected.
        var faults: Int { injected.values.reduce(0, +) }
    }

    let server: HelperServer
    /// The proxy's address, to use as an S3 endpoint.
    var endpoint: String { server.endpoint }
    private let transport = CurlTransport()

    /// A proxy to `upstream` injecting faults at `rates` (fault name → share of the requests it applies to); with
    /// `awsETags`, SSE-KMS objects written through it get ETags that are not their MD5, and uploads whose checksum
    /// does not match their body are refused with BadDigest, as on AWS.
    init(upstream: String, rates: [String: Double] = [:], seed: Int = 1, stallSeconds: Double = 30, awsETags: Bool = false) async throws {
        server = try await HelperServer(script: "Tests/Faults/fault_proxy.py",
                                  arguments: [upstream, "--seed", String(seed), "--stall-seconds", String(stallSeconds)]
                                      + (awsETags ? ["--aws-etags"] : []) + rates.map { "\($0.key)=\($0.value)" })
    }

    /// Replaces every rate; with `only`, faults hit only request paths containing it.
    func set(_ rates: [String: Double], only: String? = nil) async throws {
        var query = rates.map { "\($0.key)=\($0.value)" }
        if let only { query.append("only=\(only.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? only)") }
        _ = try await control("set?" + query.joined(separator: "&"))
    }

    /// The counts so far.
    func stats() async throws -> Stats {
        let body = try await control("stats")
        let json = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] ?? [:]
        return Stats(requests: json["requests"] as? Int ?? 0, injected: json["injected"] as? [String: Int] ?? [:],
                     times: json["times"] as? [Double] ?? [], restores: json["restores"] as? [String: Int] ?? [:])
    }

    private func control(_ path: String) async throws -> [UInt8] {
        let response = try await transport.perform(HTTPRequest(method: "GET", url: "\(endpoint)/__proxy/\(path)"))
        guard response.status == 200 else { throw HelperError("fault proxy: \(path) answered \(response.status)") }
        return response.body
    }
}
