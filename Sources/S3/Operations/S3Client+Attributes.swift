extension S3Client {
    /// The sizes of a multipart object's parts from GetObjectAttributes (`ObjectParts`), read page by page; nil
    /// when the provider does not implement the call or leaves the parts out (S3 lists them only for objects
    /// uploaded with an additional checksum).
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
    public func partSizes(bucket: String, key: String, versionID: String? = nil) async throws -> [Int64]? {
        var sizes: [Int64] = []
        var marker: String?
        while true {
            var query = [("attributes", "")]
            if let versionID { query.append(("versionId", versionID)) }
            // A provider that does not know `?attributes` may answer it as a GetObject: the range keeps that answer
            // to one byte instead of the whole object (S3 itself takes no range on this call and ignores it).
            var request = S3Request("GetObjectAttributes", "GET", bucket: bucket, key: key, query: query,
                                    headers: [("x-amz-object-attributes", "ObjectParts"), ("x-amz-max-parts", "1000"),
                                              ("range", "bytes=0-0")])
            if let marker { request.headers.append(("x-amz-part-number-marker", marker)) }
            let tree: XMLTree
            do {
                tree = try await send(request).xml()
            } catch let error as S3Error {
                // Not implemented, not allowed, or answered as something else (not XML): the parts cannot be read.
                if S3Client.cannotTellParts(error) { return nil }
                throw error
            }
            guard let parts = tree.find("ObjectParts") else { return nil }
            let page = parts.children("Part").compactMap { $0.text("Size").flatMap { Int64($0) } }
            guard page.count == parts.children("Part").count, !page.isEmpty else { return nil }
            sizes += page
            guard parts.text("IsTruncated") == "true", let next = parts.text("NextPartNumberMarker"), next != marker else {
                return sizes
            }
            marker = next
        }
    }

    /// Whether an error answering GetObjectAttributes says the provider cannot tell rather than that the object is
    /// gone: 400 (an attribute or query it does not know), 403 (a policy without s3:GetObjectAttributes), 405,
    /// 501, or an answer that is not the document asked for.
    static func cannotTellParts(_ error: S3Error) -> Bool {
        switch error.kind {
        case .service(let status, _): [400, 403, 405, 501].contains(status)
        case .invalidResponse: true
        default: false
        }
    }
}
