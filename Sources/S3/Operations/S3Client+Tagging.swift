extension S3Client {
    /// GetObjectTagging: the tags of a key (or version), by key bytes.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html
    public func getObjectTagging(bucket: String, key: String, versionID: String? = nil) async throws -> [Tag] {
        var query = [("tagging", "")]
        if let versionID { query.append(("versionId", versionID)) }
        let response = try await send(S3Request("GetObjectTagging", "GET", bucket: bucket, key: key, query: query))
        // An empty answer is an empty tag set: RGW answers so for an object whose tags it dropped.
        if response.http.body.isEmpty { return [] }
        return Tag.set(in: try response.xml())
    }

    /// PutObjectTagging: replaces the tags of a key (or version).
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html
    public func putObjectTagging(bucket: String, key: String, versionID: String? = nil, tags: [Tag]) async throws {
        var query = [("tagging", "")]
        if let versionID { query.append(("versionId", versionID)) }
        try await sendXML("PutObjectTagging", bucket: bucket, key: key, query: query, xml: Tag.document(tags))
    }

    /// GetBucketTagging: the bucket's tags by key bytes; none when it has no tag set (`NoSuchTagSet`).
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketTagging.html
    public func getBucketTagging(_ bucket: String) async throws -> [Tag] {
        do {
            let response = try await send(S3Request("GetBucketTagging", "GET", bucket: bucket, query: [("tagging", "")]))
            return Tag.set(in: try response.xml())
        } catch let error as S3Error where error.code == "NoSuchTagSet" {
            return []
        }
    }

    /// PutBucketTagging: replaces all of the bucket's tags. https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketTagging.html
    public func putBucketTagging(_ bucket: String, tags: [Tag]) async throws {
        try await sendXML("PutBucketTagging", bucket: bucket, query: [("tagging", "")], xml: Tag.document(tags))
    }
}

extension Tag {
    /// A `<Tagging>` document of `tags`.
    static func document(_ tags: [Tag]) -> String {
        "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
            + tags.map { "<Tag><Key>\(XMLTree.escape($0.key))</Key><Value>\(XMLTree.escape($0.value))</Value></Tag>" }.joined()
            + "</TagSet></Tagging>"
    }

    /// The tags of a `<Tagging>` answer, by key bytes: a tag set has no order, and providers list it in different ones
    /// (RGW sorts it by key, moto keeps the order written).
    static func set(in tree: XMLTree) -> [Tag] {
        (tree.find("TagSet")?.children("Tag") ?? []).map { Tag(key: $0.text("Key") ?? "", value: $0.text("Value") ?? "") }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }
}
