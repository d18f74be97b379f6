import Failures

extension S3Error: CategorizedError {
    /// Codes by which S3 (and providers that differ from it) refuse the credentials or their permission.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
    static let credentialCodes: Set = ["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
                                       "AccessDenied", "AllAccessDisabled"]

    /// Codes by which S3 refuses to read or copy an object in an archive storage class (GLACIER, DEEP_ARCHIVE, an
    /// Intelligent-Tiering archive tier) until it is retrieved: 403s that say nothing about the credentials.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (InvalidObjectState),
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html (ObjectNotInActiveTierError)
    static let archivedCodes: Set = ["InvalidObjectState", "ObjectNotInActiveTierError"]

    /// Whether S3 refused because the object is archived and not retrieved.
    public var isArchived: Bool { code.map(Self.archivedCodes.contains) ?? false }

    /// Whether S3 refused to read or copy an object encrypted with a customer-provided key (SSE-C) without that key:
    /// 400 InvalidRequest, "The object was stored using a form of Server Side Encryption. The correct parameters must
    /// be provided to retrieve the object." https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerSideEncryptionCustomerKeys.html
    public var needsCustomerKey: Bool {
        status == 400 && code == "InvalidRequest" && message.contains("stored using a form of Server Side Encryption")
    }

    /// A setting for a configuration mistake or a bucket that does not exist, credentials for a refusal of the
    /// credentials or any other 403, unreachable for a transport failure; an archived object, and any other answer,
    /// is a failure.
    public var category: FailureCategory {
        switch kind {
        case .configuration: .configuration
        case .transport: .unreachable
        case .service(let status, let code):
            if Self.archivedCodes.contains(code) { .failed }
            else if Self.credentialCodes.contains(code) || status == 403 { .credentials }
            else if code == "NoSuchBucket" { .configuration }
            else { .failed }
        case .invalidResponse, .local: .failed
        }
    }
}
