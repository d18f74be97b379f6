/// Every failure of the S3 module: what happened, to which bucket and key, and what to do about it.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    /// The broad class of a failure.
    public enum Kind: Sendable, Equatable {
        /// S3 (or the emulator) answered with an error: its HTTP status and AWS error code.
        case service(status: Int, code: String)
        /// No HTTP answer: connection, TLS, timeout (libcurl's CURLcode).
        case transport(curlCode: Int)
        /// Settings are missing or wrong: credentials, profile, endpoint, region, URL. Retrying cannot help.
        case configuration
        /// The answer could not be understood (malformed XML, missing fields).
        case invalidResponse
        /// A local body source or sink failed (file missing, disk full).
        case local
    }

    /// The broad class.
    public var kind: Kind
    /// A human sentence from S3 or from us; never holds a secret.
    public var message: String
    /// The operation, e.g. `ListObjectsV2`.
    public var operation: String?
    /// The bucket the request addressed.
    public var bucket: String?
    /// The key the request addressed.
    public var key: String?
    /// S3's request id (`x-amz-request-id`), for AWS support.
    public var requestID: String?
    /// The endpoint the request went to.
    public var endpoint: String?
    /// The bucket's region, when S3 said which it is (`x-amz-bucket-region`).
    public var bucketRegion: String?
    /// Seconds the server asked us to wait (`Retry-After`), if it did.
    public var retryAfterSeconds: Double?
    /// A 200 response whose body was an `<Error>` document (CopyObject, UploadPartCopy, Complete…).
    public var arrivedWithSuccessStatus = false
    /// The storage class and server-side encryption a refused write asked for, to say which setting to change.
    public var requested: (storageClass: String?, encryption: String?) = (nil, nil)

    /// Creates an error; context fields are filled in by the client as the error travels up.
    public init(_ kind: Kind, _ message: String, operation: String? = nil, bucket: String? = nil, key: String? = nil) {
        self.kind = kind
        self.message = message
        self.operation = operation
        self.bucket = bucket
        self.key = key
    }

    /// The AWS error code, e.g. `NoSuchBucket`; nil unless S3 answered.
    public var code: String? {
        if case .service(_, let code) = kind { return code }
        return nil
    }

    /// The HTTP status S3 answered with; nil unless S3 answered.
    public var status: Int? {
        if case .service(let status, _) = kind { return status }
        return nil
    }

    /// Whether sending the same request again can succeed (AWS standard retry mode's rules, plus 200-with-Error).
    public var isRetryable: Bool { RetryClassifier.classify(self) != .fatal }

    /// One line: what failed, where, and what to do next.
    public var description: String {
        var context: [String] = []
        if let operation { context.append(operation) }
        if let bucket { context.append("bucket \(bucket)") }
        if let key { context.append("key \(key.debugDescription)") }
        var said = message
        if case .service(let status, let code) = kind, !code.isEmpty, !message.hasPrefix(code) {
            said = "\(code) (HTTP \(status)): \(message)"
        }
        var line = context.isEmpty ? said : "\(context.joined(separator: ", ")): \(said)"
        if let advice { line += "; \(advice)" }
        if let requestID { line += " (request id \(requestID))" }
        return line
    }

    /// The next step for the user, where one is known.
    private var advice: String? {
        switch code {
        case "NoSuchBucket":
            return "check the bucket name\(endpoint.map { " and that the endpoint \($0) is the right one" } ?? "")"
        case "InvalidAccessKeyId":
            return "the access key is unknown: check AWS_ACCESS_KEY_ID or the profile (--profile, AWS_PROFILE)"
        case "SignatureDoesNotMatch":
            return "the secret key does not belong to the access key: check AWS_SECRET_ACCESS_KEY or the profile"
        case "ExpiredToken", "InvalidToken", "TokenRefreshRequired":
            return "the session token is expired or invalid: refresh the credentials (AWS_SESSION_TOKEN, the profile)"
        case "AccessDenied", "AllAccessDisabled":
            // Some providers (Ceph's RGW with STS first in its auth order) also say AccessDenied for a wrong key.
            return "the credentials lack permission for this (see the IAM policies in ops/), or, where the provider "
                + "says so for unknown keys, they are wrong: check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or the profile"
        case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
            return bucketRegion.map { "the bucket is in \($0): pass --region \($0)" } ?? "check --region"
        case "InvalidStorageClass", "InvalidArgument", "InvalidRequest", "InvalidEncryptionAlgorithmError", "NotImplemented":
            return settingsAdvice
        case "InvalidObjectState", "ObjectNotInActiveTierError":
            // https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects.html
            return "the object is archived (GLACIER, DEEP_ARCHIVE or an Intelligent-Tiering archive tier) and S3 reads "
                + "or copies it only once it is retrieved: retrieve it (RestoreObject: aws s3api restore-object), then run "
                + "the same command again"
        default:
            break
        }
        if case .transport = kind {
            return "check that \(endpoint ?? "the endpoint") is reachable (--endpoint-url, AWS_ENDPOINT_URL, proxies)"
        }
        return nil
    }

    /// For a refused write that asked for a storage class or encryption: the flag to change. The message decides
    /// which one was refused when it names it; an empty one (Ceph's RGW says nothing) names both.
    private var settingsAdvice: String? {
        let said = message.lowercased()
        let storage = requested.storageClass.map {
            "the provider does not offer storage class \($0): pass --storage-class with one it does (STANDARD everywhere)"
        }
        let encryption = requested.encryption.map {
            "the provider refused server-side encryption \($0): pass --sse none where it has none, or another --sse"
        }
        if code == "InvalidStorageClass" || said.contains("storage class") || said.contains("storageclass") { return storage }
        if code == "InvalidEncryptionAlgorithmError" || ["encrypt", "sse", "kms"].contains(where: said.contains) { return encryption }
        switch (storage, encryption) {
        case (let storage?, let encryption?): return "\(storage); or \(encryption)"
        case (let one?, nil), (nil, let one?): return one
        case (nil, nil): return nil
        }
    }
}
