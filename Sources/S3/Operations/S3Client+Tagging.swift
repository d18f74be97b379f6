extension S3Client {
    /// GetObjectTagging: the tags of a key (or version), by key bytes: a tag set has no order, and providers list it
    /// in different ones (RGW sorts it by key, moto keeps the order written).
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html
    public func getObjectTagging(bucket: String, key: String, versionID: String? = nil) async throws -> [Tag] {
        var query = [("tagging", "")]
        if let versionID { query.append(("versionId", versionID)) }
        let response = try await send(S3Request("GetObjectTagging", "GET", bucket: bucket, key: key, query: query))
        // An empty answer is an empty tag set: RGW answers so for an object whose tags it dropped.
        if response.http.body.isEmpty { return [] }
        let tree = try response.xml()
        return (tree.find("TagSet")?.children("Tag") ?? []).map { Tag(key: $0.text("Key") ?? "", value: $0.text("Value") ?? "") }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    /// PutObjectTagging: replaces the tags of a key (or version).
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html
    public func putObjectTagging(bucket: String, key: String, versionID: String? = nil, tags: [Tag]) async throws {
        var query = [("tagging", "")]
        if let versionID { query.append(("versionId", versionID)) }
        let xml = "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
            + tags.map { "<Tag><Key>\(XMLTree.escape($0.key))</Key><Value>\(XMLTree.escape($0.value))</Value></Tag>" }.joined()
            + "</TagSet></Tagging>"
        let body = Array(xml.utf8)
        var request = S3Request("PutObjectTagging", "PUT", bucket: bucket, key: key, query: query,
                                headers: [("content-type", "application/xml"), contentMD5(body)])
        request.body = BytesBody(body)
        _ = try await send(request)
    }
}
