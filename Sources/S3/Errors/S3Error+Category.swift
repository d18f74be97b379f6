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
