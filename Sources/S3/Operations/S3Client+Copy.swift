import SigV4

extension S3Client {
    /// What a copy does with the source's metadata and tags.
    public enum Directive<Value: Sendable & Equatable>: Sendable, Equatable {
        /// Keep the source's.
        case copy
        /// Replace them with these.
        case replace(Value)
    }

    /// CopyObject: a server-side copy of up to 5 GB. Metadata and tags are copied or replaced as told; storage
    /// class, encryption and retention are settings of the destination (S3 does not inherit the storage class). A 200
    /// whose body is an `<Error>` is a failure. https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
    @discardableResult
    public func copyObject(from source: ObjectLocation, to bucket: String, key: String,
                           metadata: Directive<ObjectMetadata> = .copy, tags: Directive<[Tag]> = .copy,
                           storageClass: String? = nil, encryption: ServerSideEncryption? = nil,
                           retention: ObjectRetention? = nil, sourceETag: ETag? = nil) async throws -> WriteResult {
        var request = S3Request("CopyObject", "PUT", bucket: bucket, key: key)
        request.headers.append(("x-amz-copy-source", source.copySourceHeader))
        if let sourceETag { request.headers.append(("x-amz-copy-source-if-match", sourceETag.quoted)) }
        switch metadata {
        case .copy: request.headers.append(("x-amz-metadata-directive", "COPY"))
        case .replace(let replacement):
            request.headers.append(("x-amz-metadata-directive", "REPLACE"))
            request.headers += replacement.headers
        }
        switch tags {
        case .copy: request.headers.append(("x-amz-tagging-directive", "COPY"))
        case .replace(let replacement):
            request.headers.append(("x-amz-tagging-directive", "REPLACE"))
            if !replacement.isEmpty { request.headers.append(("x-amz-tagging", Tag.header(replacement))) }
        }
        request.headers += WriteOptions(storageClass: storageClass, encryption: encryption, retention: retention).settingHeaders
        // A write that sets a retention carries its body's Content-MD5 (moto asks it of copies too; the empty body's
        // digest is true of any copy request).
        if retention != nil { request.headers.append(contentMD5([])) }
        request.errorMayArriveWith200 = true
        let response = try await send(request)
        let result = try response.xml()
        guard let etag = result.find("ETag").map({ ETag($0.text) }), !etag.isEmpty else {
            throw S3Error(.invalidResponse, "CopyObject's answer has no ETag", operation: "CopyObject", bucket: bucket, key: key)
        }
        return WriteResult(etag: etag, versionID: response.headers["x-amz-version-id"],
                           encryption: response.headers["x-amz-server-side-encryption"], checksum: Checksum(xml: result))
    }
}

/// An object (optionally one version) named as the source of a copy.
public struct ObjectLocation: Sendable, Equatable {
    /// The bucket.
    public var bucket: String
    /// The key.
    public var key: String
    /// The version; nil for the current one.
    public var versionID: String?

    /// A location.
    public init(bucket: String, key: String, versionID: String? = nil) {
        self.bucket = bucket
        self.key = key
        self.versionID = versionID
    }

    /// `bucket/url-encoded-key[?versionId=…]`, as `x-amz-copy-source` wants it.
    var copySourceHeader: String {
        URIEncoding.path("\(bucket)/\(key)") + (versionID.map { "?versionId=\(URIEncoding.queryComponent($0))" } ?? "")
    }
}

