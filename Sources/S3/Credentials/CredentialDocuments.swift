import Foundation
import SigV4

/// Reading credentials documents: the JSON the container and instance metadata endpoints answer with, and the
/// ISO 8601 times of every source. Error messages never quote a document, which holds the secret.
enum CredentialDocuments {
    /// `{AccessKeyId, SecretAccessKey, Token, Expiration}` (and IMDS's `Code`); `source` names the endpoint for errors.
    /// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
    static func json(_ body: [UInt8], source: String) throws -> Credentials {
        struct Document: Decodable {
            var code, accessKeyID, secretAccessKey, token, expiration: String?
            enum CodingKeys: String, CodingKey {
                case code = "Code", accessKeyID = "AccessKeyId", secretAccessKey = "SecretAccessKey", token = "Token"
                case expiration = "Expiration"
            }
        }
        guard let document = try? JSONDecoder().decode(Document.self, from: Data(body)) else {
            throw S3Error(.invalidResponse, "\(source) answered with something that is not a credentials JSON document")
        }
        if let code = document.code, code != "Success" {
            throw S3Error(.invalidResponse, "\(source) answered with Code \(code.debugDescription) instead of Success")
        }
        guard let keyID = document.accessKeyID, !keyID.isEmpty,
              let secret = document.secretAccessKey, !secret.isEmpty else {
            throw S3Error(.invalidResponse, "\(source) answered without AccessKeyId and SecretAccessKey")
        }
        var expiration: Date?
        if let text = document.expiration {
            guard let date = date(text) else {
                throw S3Error(.invalidResponse, "\(source) answered with an Expiration that is not an ISO 8601 time")
            }
            expiration = date
        }
        return Credentials(accessKeyID: keyID, secretAccessKey: secret,
                           sessionToken: document.token.flatMap { $0.isEmpty ? nil : $0 }, expiration: expiration)
    }

    /// Parses `2030-01-01T00:00:00Z`, with or without fractional seconds, `Z` or a `±hh:mm` offset.
    static func date(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: trimmed) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: trimmed)
    }

    /// Performs `request` up to `attempts` times, retrying when no answer came or the answer was 5xx, waiting
    /// `delay` between attempts; `source` names the endpoint in errors.
    static func fetch(_ request: HTTPRequest, attempts: Int, delay: Duration, transport: any HTTPTransport,
                      source: String) async throws -> HTTPResponse {
        var attempt = 1
        while true {
            do {
                let response = try await transport.perform(request)
                if response.status >= 500 && attempt < attempts {
                    attempt += 1
                    try await Task.sleep(for: delay)
                    continue
                }
                return response
            } catch let failure as TransportError {
                // A header refused before sending, or an answer past the transport's guard rails: another attempt
                // would fare no better.
                if var refusal = failure.underlying as? S3Error {
                    refusal.endpoint = request.url
                    throw refusal
                }
                if let exceeded = failure.underlying as? TransferLimitExceeded {
                    var error = S3Error(.invalidResponse, "\(source): \(exceeded)")
                    error.endpoint = request.url
                    throw error
                }
                guard attempt < attempts else {
                    var error = S3Error(.transport(curlCode: failure.code), "\(source) did not answer: \(failure.message)")
                    error.endpoint = request.url
                    throw error
                }
                attempt += 1
                try await Task.sleep(for: delay)
            }
        }
    }

    /// The error for an unexpected HTTP status from `source`.
    static func statusError(_ response: HTTPResponse, request: HTTPRequest, source: String) -> S3Error {
        var error = S3Error(.service(status: response.status, code: "HTTP\(response.status)"),
                            "\(source) answered HTTP \(response.status) to \(request.method) \(request.url)")
        error.endpoint = request.url
        return error
    }
}
