import Foundation
import S3
import SigV4

/// The one transport tests script, without I/O: it answers each request from a list of answers in turn (running out
/// is a mistake of the test), or from a function of the request (for servers that answer however many requests
/// come), and records every request it was sent.
public final class ScriptedTransport: HTTPTransport {
    /// One scripted answer.
    public enum Answer: Sendable {
        /// An HTTP response.
        case response(HTTPResponse)
        /// A failure of the connection.
        case failure(TransportError)
    }

    private let script: LockedBox<(answers: [Answer], sent: [HTTPRequest])>
    private let answering: (@Sendable (HTTPRequest) throws -> HTTPResponse)?

    /// A transport giving `answers` in turn.
    public init(_ answers: [Answer]) {
        script = LockedBox((answers, []))
        answering = nil
    }

    /// A transport answering every request with `answer` (which may throw, as a failed connection would).
    public init(_ answer: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse) {
        script = LockedBox(([], []))
        answering = answer
    }

    /// The requests sent so far, in order.
    public var sent: [HTTPRequest] { script.value.sent }

    /// Records `request` and answers it.
    public func perform(_ request: HTTPRequest) async throws -> HTTPResponse { try answer(request) }

    /// Records `request` and answers it, at once (for a transport that hands some requests on to another).
    public func answer(_ request: HTTPRequest) throws -> HTTPResponse {
        let scripted = script.mutate { script -> Answer? in
            script.sent.append(request)
            guard answering == nil else { return nil }
            precondition(!script.answers.isEmpty, "the script ran out of answers at \(request.method) \(request.url)")
            return script.answers.removeFirst()
        }
        switch scripted {
        case nil: return try answering!(request)
        case .response(let response): return response
        case .failure(let error): throw error
        }
    }

    /// A client of `endpoint` over `transport`, signing with test credentials, retrying `maxAttempts` times 1 ms
    /// apart, at `clock`'s time (by default a fixed moment, so signatures are reproducible).
    public static func client(over transport: any HTTPTransport, endpoint: Endpoint = .test, maxAttempts: Int = 3,
                              clock: @escaping @Sendable () -> Date = { Date(timeIntervalSince1970: 1_369_353_600) }) -> S3Client {
        S3Client(configuration: S3Configuration(
            endpoint: endpoint, region: "us-east-1",
            credentials: StaticCredentialsProvider(Credentials(accessKeyID: "AKIDTEST", secretAccessKey: "SECRETVALUE")),
            retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(1)), transport: transport, clock: clock))
    }

    /// A client over a new transport giving `answers`, and the transport.
    public static func client(_ answers: [Answer], maxAttempts: Int = 3,
                              endpoint: Endpoint = .test) -> (S3Client, ScriptedTransport) {
        let transport = ScriptedTransport(answers)
        return (client(over: transport, endpoint: endpoint, maxAttempts: maxAttempts), transport)
    }
}

extension ScriptedTransport.Answer {
    /// A response with `status`, `body` and `headers`.
    public static func status(_ status: Int, _ body: String = "", headers: [String: String] = [:]) -> Self {
        .response(HTTPResponse(status: status, headers: headers, body: Array(body.utf8)))
    }

    /// S3's error document for `code`, with `status`.
    public static func error(_ status: Int, _ code: String, headers: [String: String] = [:]) -> Self {
        .status(status, "<?xml version=\"1.0\"?><Error><Code>\(code)</Code><Message>m</Message><RequestId>R1</RequestId></Error>",
                headers: headers)
    }

    /// The region answer of the HeadBucket the client sends before its first call to a bucket.
    public static let headBucket = Self.status(200, headers: ["x-amz-bucket-region": "us-east-1"])
    /// A CopyObject result.
    public static let copyResult = Self.status(200, "<CopyObjectResult><ETag>\"abc\"</ETag></CopyObjectResult>")
}

extension Endpoint {
    /// A custom endpoint on loopback where nothing listens: for clients whose transport is scripted.
    public static let test = try! Endpoint(url: "http://127.0.0.1:9", setting: "test")
}
