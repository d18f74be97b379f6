/// A successful S3 answer: the HTTP response and, when the client already parsed its body (to rule out an
/// error inside a 200), that document, so no body is parsed twice.
struct S3Response: Sendable {
    /// The HTTP response.
    let http: HTTPResponse
    /// The parsed body, when it was parsed already.
    let document: XMLTree?
    /// The request answered, named in an error about the answer.
    let request: S3Request

    /// Response headers by lowercase name.
    var headers: [String: String] { http.headers }

    /// The body as an XML document; a body that is not one is an error naming the request.
    func xml() throws -> XMLTree {
        if let document { return document }
        do {
            return try XMLTree.parse(http.body)
        } catch var error as S3Error {
            (error.operation, error.bucket, error.key) = (request.operation, request.bucket, request.key)
            throw error
        }
    }
}
