import Foundation
import SigV4
import Testing

/// One published SigV4 example: the request, and what AWS (or aws-c-auth's suite) says it signs to.
struct Vector: CustomTestStringConvertible, Sendable {
    let name: String
    var credentials = Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    var service = "s3"
    var date = "20130524T000000Z"
    let method: String
    let path: String
    var query: [(String, String)] = []
    let headers: [(String, String)]
    var payloadHash = Signer.emptyPayloadHash
    let canonicalRequest: String
    /// The hash of the canonical request where the source publishes it.
    var canonicalRequestHash: String?
    let signature: String

    var testDescription: String { name }
}

private let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
private let suiteCredentials = Credentials(accessKeyID: "AKIDEXAMPLE",
                                           secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

/// aws-c-auth's suite: service `service`, host example.amazonaws.com, no x-amz-content-sha256 header.
private func suite(_ name: String, path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
                   canonicalPath: String, canonicalQuery: String = "", canonicalHeaders: String = "",
                   signedHeaders: String = "host;x-amz-date", credentials: Credentials = suiteCredentials,
                   hash: String? = nil, signature: String) -> Vector {
    Vector(name: name, credentials: credentials, service: "service", date: "20150830T123600Z", method: "GET",
           path: URIEncoding.path(path), query: query, headers: [("Host", "example.amazonaws.com")] + headers,
           canonicalRequest: """
           GET
           \(canonicalPath)
           \(canonicalQuery)
           host:example.amazonaws.com
           \(canonicalHeaders)x-amz-date:20150830T123600Z
           \(credentials.sessionToken.map { "x-amz-security-token:\($0)\n" } ?? "")
           \(signedHeaders)
           \(emptyHash)
           """,
           canonicalRequestHash: hash, signature: signature)
}

let vectors: [Vector] = [
    // https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html#example-signature-calculations
    Vector(name: "V1 S3 GET object with range", method: "GET", path: "/test.txt",
           headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
                     ("x-amz-content-sha256", emptyHash)],
           canonicalRequest: """
           GET
           /test.txt

           host:examplebucket.s3.amazonaws.com
           range:bytes=0-9
           x-amz-content-sha256:\(emptyHash)
           x-amz-date:20130524T000000Z

           host;range;x-amz-content-sha256;x-amz-date
           \(emptyHash)
           """,
           canonicalRequestHash: "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
           signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    Vector(name: "V2 S3 PUT object", method: "PUT", path: URIEncoding.path("/test$file.text"),
           headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("Host", "examplebucket.s3.amazonaws.com"),
                     ("x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"),
                     ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
           payloadHash: "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
           canonicalRequest: """
           PUT
           /test%24file.text

           date:Fri, 24 May 2013 00:00:00 GMT
           host:examplebucket.s3.amazonaws.com
           x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
           x-amz-date:20130524T000000Z
           x-amz-storage-class:REDUCED_REDUNDANCY

           date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class
           44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
           """,
           canonicalRequestHash: "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
           signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
    Vector(name: "V3 S3 GET bucket lifecycle", method: "GET", path: "/", query: [("lifecycle", "")],
           headers: [("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", emptyHash)],
           canonicalRequest: """
           GET
           /
           lifecycle=
           host:examplebucket.s3.amazonaws.com
           x-amz-content-sha256:\(emptyHash)
           x-amz-date:20130524T000000Z

           host;x-amz-content-sha256;x-amz-date
           \(emptyHash)
           """,
           signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
    Vector(name: "V4 S3 list objects", method: "GET", path: "/", query: [("max-keys", "2"), ("prefix", "J")],
           headers: [("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", emptyHash)],
           canonicalRequest: """
           GET
           /
           max-keys=2&prefix=J
           host:examplebucket.s3.amazonaws.com
           x-amz-content-sha256:\(emptyHash)
           x-amz-date:20130524T000000Z

           host;x-amz-content-sha256;x-amz-date
           \(emptyHash)
           """,
           signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    suite("V5 get-vanilla", path: "/", canonicalPath: "/",
          hash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
          signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    suite("V6 get-vanilla-with-session-token", path: "/", canonicalPath: "/",
          signedHeaders: "host;x-amz-date;x-amz-security-token",
          credentials: Credentials(accessKeyID: "AKIDEXAMPLE",
                                   secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                   sessionToken: "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"),
          signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"),
    suite("get-space-unnormalized", path: "/example space/", canonicalPath: "/example%20space/",
          signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
    suite("get-utf8", path: "/ሴ", canonicalPath: "/%E1%88%B4",
          signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
    suite("get-vanilla-query-order-encoded", path: "/",
          query: [("Param-3", "Value3"), ("Param", "Value2"), ("ሴ", "Value1")], canonicalPath: "/",
          canonicalQuery: "%E1%88%B4=Value1&Param=Value2&Param-3=Value3",
          signature: "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"),
    suite("get-slashes-unnormalized", path: "//example//", canonicalPath: "//example//",
          signature: "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5"),
    suite("get-header-value-trim", path: "/", headers: [("My-Header1", " value1"), ("My-Header2", "\"a   b   c\"")],
          canonicalPath: "/", canonicalHeaders: "my-header1:value1\nmy-header2:\"a b c\"\n",
          signedHeaders: "host;my-header1;my-header2;x-amz-date",
          signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html (seed request)
    Vector(name: "V8 aws-chunked seed", method: "PUT", path: "/examplebucket/chunkObject.txt",
           headers: [("Host", "s3.amazonaws.com"), ("Content-Encoding", "aws-chunked"), ("Content-Length", "66824"),
                     ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
                     ("x-amz-decoded-content-length", "66560"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
           payloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
           canonicalRequest: """
           PUT
           /examplebucket/chunkObject.txt

           content-encoding:aws-chunked
           content-length:66824
           host:s3.amazonaws.com
           x-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD
           x-amz-date:20130524T000000Z
           x-amz-decoded-content-length:66560
           x-amz-storage-class:REDUCED_REDUNDANCY

           content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class
           STREAMING-AWS4-HMAC-SHA256-PAYLOAD
           """,
           signature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"),
]

@Suite("SigV4 published vectors", .timeLimit(.minutes(1)))
struct SignerVectorTests {
    @Test(arguments: vectors)
    func signs(_ vector: Vector) throws {
        let date = try #require(AmzDate(timestamp: vector.date))
        let signer = Signer(credentials: vector.credentials, region: "us-east-1", service: vector.service)
        let signed = signer.sign(method: vector.method, path: vector.path, query: vector.query,
                                 headers: vector.headers, payloadHash: vector.payloadHash, date: date)
        #expect(signed.canonicalRequest == vector.canonicalRequest)
        let requestHash = Digest.sha256(Array(vector.canonicalRequest.utf8)).hex
        if let published = vector.canonicalRequestHash { #expect(requestHash == published) }
        #expect(signed.stringToSign == """
            AWS4-HMAC-SHA256
            \(vector.date)
            \(vector.date.prefix(8))/us-east-1/\(vector.service)/aws4_request
            \(requestHash)
            """)
        #expect(signed.signature == vector.signature)
        let authorization = try #require(signed.headers.first { $0.0 == "authorization" }?.1)
        #expect(authorization.hasSuffix("Signature=\(vector.signature)"))
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=\(vector.credentials.accessKeyID)/\(vector.date.prefix(8))/"))
    }

    /// SigV4's header rules where the published vectors are thin: names lowercased and sorted, a repeated header's
    /// values joined by commas in the order sent, values trimmed with runs of spaces and tabs collapsed, an empty
    /// value kept (aws-c-auth's get-header-key-duplicate, plus tabs and empty values).
    @Test func canonicalHeadersFollowTheRules() {
        let canonical = CanonicalRequest(
            method: "GET", path: "", query: [],
            headers: [("My-Header1", "value2"), ("Host", "example.amazonaws.com"), ("my-header1", " value2 "),
                      ("X-Spaces", "a  \t b\t"), ("MY-HEADER1", "\tvalue1"), ("x-empty", ""), ("X-Blank", "  \t ")],
            payloadHash: "UNSIGNED-PAYLOAD")
        #expect(canonical.text == """
            GET
            /

            host:example.amazonaws.com
            my-header1:value2,value2,value1
            x-blank:
            x-empty:
            x-spaces:a b

            host;my-header1;x-blank;x-empty;x-spaces
            UNSIGNED-PAYLOAD
            """)
        #expect(canonical.signedHeaders == "host;my-header1;x-blank;x-empty;x-spaces")
    }
}
