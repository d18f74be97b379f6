import Foundation
import SigV4

extension S3Client {
    /// HeadObject: size, ETag, metadata of a key (or one version, or with `partNumber` one part's size and the
    /// parts count of a multipart object). https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
    public func headObject(bucket: String, key: String, versionID: String? = nil, partNumber: Int? = nil) async throws -> ObjectInfo {
        var query: [(String, String)] = []
        if let partNumber { query.append(("partNumber", String(partNumber))) }
        if let versionID { query.append(("versionId", versionID)) }
        var request = S3Request("HeadObject", "HEAD", bucket: bucket, key: key, query: query)
        request.headers.append(checksumMode)
        let response = try await send(request)
        return ObjectInfo(headers: response.headers)
    }

    /// GetObject: streams the body (or `range`, inclusive bytes) into `sink`; memory does not grow with the object.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
    @discardableResult
    /// With `ifMatch`, S3 refuses (412) when the object's ETag is no longer that one.
    public func getObject(bucket: String, key: String, versionID: String? = nil, range: ClosedRange<Int64>? = nil,
                          ifMatch: ETag? = nil, to sink: any BodySink) async throws -> ObjectInfo {
        var request = S3Request("GetObject", "GET", bucket: bucket, key: key,
                                query: versionID.map { [("versionId", $0)] } ?? [])
        if let range { request.headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound)")) }
        if let ifMatch { request.headers.append(("if-match", ifMatch.quoted)) }
        if range == nil { request.headers.append(checksumMode) }
        request.sink = sink
        return ObjectInfo(headers: try await send(request).headers)
    }

    /// Asks HeadObject and GetObject to tell the object's checksum. https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html#API_HeadObject_RequestSyntax
    private var checksumMode: (String, String) { ("x-amz-checksum-mode", "ENABLED") }

    /// PutObject: uploads `body` (streamed, exact Content-Length) with `options`. With `checksum`, S3 refuses a
    /// body that does not match it (`BadDigest`) and keeps it with the object.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
    @discardableResult
    public func putObject(bucket: String, key: String, body: any BodySource, options: WriteOptions,
                          checksum: Checksum?) async throws -> WriteResult {
        var request = S3Request("PutObject", "PUT", bucket: bucket, key: key)
        request.headers = options.metadata.headers + options.settingHeaders
        if let checksum {
            precondition(!checksum.isComposite, "a single-part upload carries a full-object checksum")
            request.headers += [("x-amz-sdk-checksum-algorithm", checksum.algorithm), (checksum.header, checksum.value)]
        }
        if options.metadata.contentType == nil { request.headers.append(("content-type", "application/octet-stream")) }
        request.body = body
        return WriteResult(headers: try await send(request).headers)
    }

    /// DeleteObject: removes a key (a delete marker in a versioned bucket) or, with `versionID`, one version for
    /// good. Deleting a missing key succeeds. Returns the version id of the delete marker placed, which S3 tells in
    /// `x-amz-version-id` beside `x-amz-delete-marker: true`, or nil when none was.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html#API_DeleteObject_ResponseSyntax
    @discardableResult
    public func deleteObject(bucket: String, key: String, versionID: String? = nil) async throws -> String? {
        let headers = try await send(S3Request("DeleteObject", "DELETE", bucket: bucket, key: key,
                                               query: versionID.map { [("versionId", $0)] } ?? [])).headers
        guard versionID == nil, headers["x-amz-delete-marker"] == "true" else { return nil }
        return headers["x-amz-version-id"]
    }
}

extension WriteResult {
    init(headers: [String: String]) {
        self.init(etag: ETag(headers["etag"] ?? ""), versionID: headers["x-amz-version-id"],
                  encryption: headers["x-amz-server-side-encryption"], checksum: Checksum(headers: headers))
    }
}

/// Content-MD5: base64 of the body's MD5, required by S3 on DeleteObjects, PutBucketLifecycleConfiguration and
/// PutBucketVersioning. https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
func contentMD5(_ body: [UInt8]) -> (String, String) {
    ("content-md5", Data(Digest.md5(body)).base64EncodedString())
}

