import Foundation
import S3

/// Pushes metrics to a Prometheus Pushgateway, for hosts without node_exporter: one group per pair and kind (the
/// grouping key is job `s3backup` and the labels `kind`, `source`, `backup`, base64url-encoded since they hold `/`),
/// pushed with POST, which replaces only the metrics pushed, so the time of the last success stays when a run fails.
/// https://github.com/prometheus/pushgateway#url
public struct Pushgateway: Sendable {
    /// The gateway's base URL (`http://host:9091`).
    public let url: String
    let transport: any HTTPTransport

    /// A gateway at `url`, an `http` or `https` URL; anything else is refused with what to pass.
    public init(url: String, transport: any HTTPTransport = CurlTransport()) throws {
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw PushgatewayError(description: "--pushgateway \(url.debugDescription) is not an http:// or https:// URL of a "
                + "Pushgateway (e.g. http://pushgateway:9091)")
        }
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.transport = transport
    }

    /// The group's URL for `metrics`' labels.
    func groupURL(_ metrics: RunMetrics) -> String {
        url + "/metrics/job/s3backup" + metrics.labels.map { label in
            let encoded = Data(label.value.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_")
            return "/\(label.name)@base64/\(encoded)"
        }.joined()
    }

    /// Pushes `samples` into `metrics`' group; a gateway that refuses them is an error that says its answer.
    public func push(_ samples: [MetricSample], of metrics: RunMetrics) async throws {
        let body = Array(MetricsFile.render(samples).utf8)
        var request = HTTPRequest(method: "POST", url: groupURL(metrics), headers: [("Content-Type", "text/plain; version=0.0.4")],
                                  body: BytesBody(body))
        request.timeoutMilliseconds = 10_000
        let response = try await transport.perform(request)
        guard response.isSuccess else {
            throw PushgatewayError(description: "the Pushgateway \(url) answered \(response.status) to the metrics: "
                + String(decoding: response.body.prefix(300), as: UTF8.self))
        }
    }
}

/// A Pushgateway that cannot be used or refused the metrics.
public struct PushgatewayError: Error, CustomStringConvertible {
    /// What happened, with the gateway's answer.
    public let description: String
}
