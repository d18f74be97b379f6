/// One S3 call before addressing and signing: what the operations hand to `S3Client.send`.
struct S3Request: Sendable {
    /// The API name, for errors and logs (`PutObject`).
    var operation: String
    /// The HTTP method.
    var method: String
    /// The bucket addressed, if any.
    var bucket: String?
    /// The key addressed, raw (the client encodes it).
    var key: String?
    /// Raw query parameters; a flag parameter has value "".
    var query: [(String, String)] = []
    /// Headers to sign and send besides host, date, token and payload hash.
    var headers: [(String, String)] = []
    /// The body; in-memory bodies are signed by hash, streamed ones as UNSIGNED-PAYLOAD.
    var body: (any BodySource)?
    /// Where a successful response body goes; nil keeps it in memory.
    var sink: (any BodySink)?
    /// The region to sign with, when known without asking S3 (CreateBucket); nil discovers the bucket's.
    var region: String?
    /// A 200 whose body is an `<Error>` document is a failure (CopyObject, UploadPartCopy, Complete).
    var errorMayArriveWith200 = false
    /// Bytes S3 copies itself while this request waits (UploadPartCopy's range), given time under the request time
    /// limit as if they moved through us.
    var copiedBytes: Int64 = 0

    init(_ operation: String, _ method: String, bucket: String? = nil, key: String? = nil,
         query: [(String, String)] = [], headers: [(String, String)] = []) {
        self.operation = operation
        self.method = method
        self.bucket = bucket
        self.key = key
        self.query = query
        self.headers = headers
    }
}
