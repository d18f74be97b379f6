extension S3Client {
    /// CreateMultipartUpload: starts an upload; metadata, storage class, encryption and tags are given here.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
    public func createMultipartUpload(bucket: String, key: String, options: WriteOptions = WriteOptions()) async throws -> String {
        var request = S3Request("CreateMultipartUpload", "POST", bucket: bucket, key: key, query: [("uploads", "")])
        request.headers = options.metadata.headers + options.settingHeaders
        if options.metadata.contentType == nil { request.headers.append(("content-type", "application/octet-stream")) }
        let response = try await send(request)
        guard let uploadID = try response.xml().find("UploadId")?.text, !uploadID.isEmpty else {
            throw S3Error(.invalidResponse, "CreateMultipartUpload's answer has no UploadId",
                          operation: "CreateMultipartUpload", bucket: bucket, key: key)
        }
        return uploadID
    }

    /// UploadPart: uploads part `number` (1…10,000) and returns its ETag.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
    public func uploadPart(bucket: String, key: String, uploadID: String, number: Int, body: any BodySource) async throws -> CompletedPart {
        precondition((1...10_000).contains(number), "part numbers run from 1 to 10,000")
        var request = S3Request("UploadPart", "PUT", bucket: bucket, key: key,
                                query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                headers: [("content-type", "application/octet-stream")])
        request.body = body
        let response = try await send(request)
        return CompletedPart(number: number, etag: ETag(response.headers["etag"] ?? ""))
    }

    /// UploadPartCopy: copies `range` (inclusive bytes) of `source` server-side as part `number`.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
    public func uploadPartCopy(bucket: String, key: String, uploadID: String, number: Int, source: ObjectLocation,
                               range: ClosedRange<Int64>, sourceETag: ETag? = nil) async throws -> CompletedPart {
        precondition((1...10_000).contains(number), "part numbers run from 1 to 10,000")
        var request = S3Request("UploadPartCopy", "PUT", bucket: bucket, key: key,
                                query: [("partNumber", String(number)), ("uploadId", uploadID)])
        request.headers.append(("x-amz-copy-source", source.copySourceHeader))
        request.headers.append(("x-amz-copy-source-range", "bytes=\(range.lowerBound)-\(range.upperBound)"))
        if let sourceETag { request.headers.append(("x-amz-copy-source-if-match", sourceETag.quoted)) }
        request.errorMayArriveWith200 = true
        request.copiedBytes = range.upperBound - range.lowerBound + 1
        let response = try await send(request)
        guard let etag = try response.xml().find("ETag").map({ ETag($0.text) }), !etag.isEmpty else {
            throw S3Error(.invalidResponse, "UploadPartCopy's answer has no ETag", operation: "UploadPartCopy",
                          bucket: bucket, key: key)
        }
        return CompletedPart(number: number, etag: etag)
    }

    /// CompleteMultipartUpload: assembles the parts (ascending numbers). A 200 carrying `<Error>` is a failure. An
    /// answer whose ETag is missing or empty (Ceph's RGW sends `<ETag></ETag>`) is completed by HeadObject of the
    /// version just written. https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
    @discardableResult
    public func completeMultipartUpload(bucket: String, key: String, uploadID: String, parts: [CompletedPart]) async throws -> WriteResult {
        precondition(!parts.isEmpty, "a multipart upload needs at least one part")
        let sorted = parts.sorted { $0.number < $1.number }
        let xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            + sorted.map { "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(XMLTree.escape($0.etag.quoted))</ETag></Part>" }.joined()
            + "</CompleteMultipartUpload>"
        var request = S3Request("CompleteMultipartUpload", "POST", bucket: bucket, key: key,
                                query: [("uploadId", uploadID)], headers: [("content-type", "application/xml")])
        request.body = BytesBody(Array(xml.utf8))
        request.errorMayArriveWith200 = true
        let response = try await send(request)
        var result = WriteResult(etag: .none, versionID: response.headers["x-amz-version-id"],
                                 encryption: response.headers["x-amz-server-side-encryption"])
        if let etag = try response.xml().find("ETag").map({ ETag($0.text) }), !etag.isEmpty {
            result.etag = etag
        } else {
            result.etag = try await headObject(bucket: bucket, key: key, versionID: result.readableVersion).etag
        }
        return result
    }

    /// AbortMultipartUpload: discards an upload and its parts.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
    public func abortMultipartUpload(bucket: String, key: String, uploadID: String) async throws {
        _ = try await send(S3Request("AbortMultipartUpload", "DELETE", bucket: bucket, key: key,
                                     query: [("uploadId", uploadID)]))
    }
}

/// A part as CompleteMultipartUpload lists it.
public struct CompletedPart: Sendable, Equatable {
    /// The part number.
    public var number: Int
    /// The part's ETag.
    public var etag: ETag
    /// A part.
    public init(number: Int, etag: ETag) {
        self.number = number
        self.etag = etag
    }
}
