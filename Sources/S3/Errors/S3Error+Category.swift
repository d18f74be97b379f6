import Failures

extension S3Error: CategorizedError {
    /// Codes by which S3 (and providers that differ from it) refuse the credentials or their permission.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
    static let credentialCodes: Set = ["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
                                       "AccessDenied", "AllAccessDisabled"]

    /// A setting for a configuration mistake or a bucket that does not exist, credentials for a refusal of the
    /// credentials or any 403, unreachable for a transport failure; any other answer is a failure.
    public var category: FailureCategory {
        switch kind {
        case .configuration: .configuration
        case .transport: .unreachable
        case .service(let status, let code):
            if Self.credentialCodes.contains(code) || status == 403 { .credentials }
            else if code == "NoSuchBucket" { .configuration }
            else { .failed }
        case .invalidResponse, .local: .failed
        }
    }
}
