import Foundation
import S3
import SigV4
import Synchronization

/// A transport that answers every request from a closure, however many come: for servers that would loop forever,
/// where a finite script would run out.
final class AnsweringTransport: HTTPTransport {
    private let answer: @Sendable (HTTPRequest) -> HTTPResponse
    private let log = Mutex<[HTTPRequest]>([])

    init(_ answer: @escaping @Sendable (HTTPRequest) -> HTTPResponse) { self.answer = answer }

    /// The requests sent so far.
    var sent: [HTTPRequest] { log.withLock { $0 } }

    func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        log.withLock { $0.append(request) }
        return answer(request)
    }

    /// A client of a custom endpoint over `transport`, signing with test credentials.
    static func client(_ transport: any HTTPTransport, endpoint: String = "http://127.0.0.1:9",
                       maxAttempts: Int = 3) -> S3Client {
        S3Client(configuration: S3Configuration(
            endpoint: try! Endpoint(url: endpoint, setting: "test"), region: "us-east-1",
            credentials: StaticCredentialsProvider(Credentials(accessKeyID: "AKIDTEST", secretAccessKey: "SECRETVALUE")),
            retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(1)), transport: transport))
    }
}
