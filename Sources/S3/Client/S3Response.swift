/// A successful S3 answer: the HTTP response and, when the client already parsed its body (to rule out an
/// error inside a 200), that document, so no body is parsed twice.
struct S3Response: Sendable {
    /// The HTTP response.
    let http: HTTPResponse
    /// The parsed body, when it was parsed already.
    let document: XMLTree?

    /// Response headers by lowercase name.
    var headers: [String: String] { http.headers }

    /// The body as an XML document.
    func xml() throws -> XMLTree { try document ?? XMLTree.parse(http.body) }
}
