extension S3Client {
    /// GetObjectLockConfiguration: whether Object Lock is enabled and the bucket's default retention; a bucket that
    /// never had it answers `ObjectLockConfigurationNotFoundError`, read as disabled.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectLockConfiguration.html
    public func getObjectLockConfiguration(_ bucket: String) async throws -> ObjectLockConfiguration {
        do {
            let response = try await send(S3Request("GetObjectLockConfiguration", "GET", bucket: bucket, query: [("object-lock", "")]))
            return ObjectLockConfiguration(xml: try response.xml())
        } catch let error as S3Error where error.code == "ObjectLockConfigurationNotFoundError" {
            return ObjectLockConfiguration(enabled: false)
        }
    }

    /// PutObjectLockConfiguration: enables Object Lock on a versioned bucket, with no default retention (each
    /// version is given its own). S3 refuses it where the bucket cannot take it (moto and RGW: only a bucket made
    /// with Object Lock, or an empty one). https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLockConfiguration.html
    public func enableObjectLock(_ bucket: String) async throws {
        try await sendXML("PutObjectLockConfiguration", bucket: bucket, query: [("object-lock", "")], xml:
            "<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
            + "</ObjectLockConfiguration>")
    }

    /// PutObjectRetention: sets one version's retention. Without `x-amz-bypass-governance-retention` (never sent)
    /// S3 only lets a retention be extended: a shorter one is refused with AccessDenied.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectRetention.html
    public func putObjectRetention(bucket: String, key: String, versionID: String?, retention: ObjectRetention) async throws {
        var query = [("retention", "")]
        if let versionID { query.append(("versionId", versionID)) }
        try await sendXML("PutObjectRetention", bucket: bucket, key: key, query: query, xml:
            "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>\(retention.mode.rawValue)</Mode>"
            + "<RetainUntilDate>\(retention.untilText)</RetainUntilDate></Retention>")
    }
}
