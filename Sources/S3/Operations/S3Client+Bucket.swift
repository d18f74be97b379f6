extension S3Client {
    /// CreateBucket in `region` (a LocationConstraint everywhere but us-east-1), with Object Lock enabled when
    /// `objectLock` (which also turns versioning on). https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
    public func createBucket(_ bucket: String, region: String, objectLock: Bool = false) async throws {
        var request = S3Request("CreateBucket", "PUT", bucket: bucket)
        request.region = region
        if objectLock { request.headers.append(("x-amz-bucket-object-lock-enabled", "true")) }
        if region != "us-east-1" {
            let xml = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<LocationConstraint>\(XMLTree.escape(region))</LocationConstraint></CreateBucketConfiguration>"
            request.headers.append(("content-type", "application/xml"))
            request.body = BytesBody(Array(xml.utf8))
        }
        _ = try await send(request)
        remember(region: region, of: bucket)
    }

    /// HeadBucket: succeeds when the bucket exists and these credentials may use it; throws `NoSuchBucket` or
    /// `AccessDenied` otherwise. https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
    public func headBucket(_ bucket: String) async throws {
        _ = try await send(S3Request("HeadBucket", "HEAD", bucket: bucket))
    }

    /// GetBucketVersioning. https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html
    public func getBucketVersioning(_ bucket: String) async throws -> VersioningStatus {
        let response = try await send(S3Request("GetBucketVersioning", "GET", bucket: bucket, query: [("versioning", "")]))
        // AWS's root is VersioningConfiguration, moto's GetBucketVersioningResponse: find Status anywhere.
        switch try response.xml().find("Status")?.text {
        case "Enabled": return .enabled
        case "Suspended": return .suspended
        default: return .unversioned
        }
    }

    /// PutBucketVersioning: turns versioning on (or suspends it). Content-MD5 is required.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html
    public func putBucketVersioning(_ bucket: String, enabled: Bool) async throws {
        let xml = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>"
            + (enabled ? "Enabled" : "Suspended") + "</Status></VersioningConfiguration>"
        try await sendXML("PutBucketVersioning", bucket: bucket, query: [("versioning", "")], xml: xml)
    }

    /// GetBucketLifecycleConfiguration: the rules as S3's XML document, or nil when the bucket has none.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html
    public func getBucketLifecycle(_ bucket: String) async throws -> XMLTree? {
        do {
            let response = try await send(S3Request("GetBucketLifecycleConfiguration", "GET", bucket: bucket,
                                                    query: [("lifecycle", "")]))
            return try response.xml()
        } catch let error as S3Error where error.code == "NoSuchLifecycleConfiguration" {
            return nil
        }
    }

    /// PutBucketLifecycleConfiguration: replaces all rules with `xml` (a `<LifecycleConfiguration>` document).
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
    public func putBucketLifecycle(_ bucket: String, xml: String) async throws {
        try await sendXML("PutBucketLifecycleConfiguration", bucket: bucket, query: [("lifecycle", "")], xml: xml)
    }

    /// A PUT of a bucket's (or an object's) sub-resource with an XML body and its Content-MD5.
    func sendXML(_ operation: String, bucket: String, key: String? = nil, query: [(String, String)], xml: String) async throws {
        let body = Array(xml.utf8)
        var request = S3Request(operation, "PUT", bucket: bucket, key: key, query: query,
                                headers: [("content-type", "application/xml"), contentMD5(body)])
        request.body = BytesBody(body)
        _ = try await send(request)
    }
}

/// A bucket's versioning state.
public enum VersioningStatus: String, Sendable {
    /// Never configured.
    case unversioned
    /// Every write keeps the previous version.
    case enabled
    /// New writes get version `null`; old versions stay.
    case suspended
}
