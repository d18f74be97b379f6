import Foundation
import S3
import SigV4
import Synchronization

/// A transport that answers from a script and records what was sent: for retry and error rules without I/O.
final class ScriptedTransport: HTTPTransport {
    /// One scripted answer.
    enum Answer: Sendable {
        case response(HTTPResponse)
        case failure(TransportError)
    }

    private let state: Mutex<(answers: [Answer], sent: [HTTPRequest])>

    init(_ answers: [Answer]) { state = Mutex((answers, [])) }

    /// The requests sent so far.
    var sent: [HTTPRequest] { state.withLock { $0.sent } }

    func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        let answer = state.withLock { state -> Answer in
            state.sent.append(request)
            precondition(!state.answers.isEmpty, "the script ran out of answers at \(request.method) \(request.url)")
            return state.answers.removeFirst()
        }
        switch answer {
        case .response(let response): return response
        case .failure(let error): throw error
        }
    }

    /// A client over `answers` (to a custom endpoint unless `endpoint` says otherwise).
    static func client(_ answers: [Answer], maxAttempts: Int = 3,
                       endpoint: Endpoint = try! Endpoint(url: "http://127.0.0.1:9", setting: "test")) -> (S3Client, ScriptedTransport) {
        let transport = ScriptedTransport(answers)
        let client = S3Client(configuration: S3Configuration(
            endpoint: endpoint, region: "us-east-1",
            credentials: StaticCredentialsProvider(Credentials(accessKeyID: "AKIDTEST", secretAccessKey: "SECRETVALUE")),
            retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(1)), transport: transport,
            clock: { Date(timeIntervalSince1970: 1_369_353_600) }))
        return (client, transport)
    }
}

extension ScriptedTransport.Answer {
    static func status(_ status: Int, _ body: String = "", headers: [String: String] = [:]) -> Self {
        .response(HTTPResponse(status: status, headers: headers, body: Array(body.utf8)))
    }

    static func error(_ status: Int, _ code: String, headers: [String: String] = [:]) -> Self {
        .status(status, "<?xml version=\"1.0\"?><Error><Code>\(code)</Code><Message>m</Message><RequestId>R1</RequestId></Error>",
                headers: headers)
    }

    /// The region answer of the HeadBucket the client sends before its first call to a bucket.
    static let headBucket = Self.status(200, headers: ["x-amz-bucket-region": "us-east-1"])
    static let copyResult = Self.status(200, "<CopyObjectResult><ETag>\"abc\"</ETag></CopyObjectResult>")
}
