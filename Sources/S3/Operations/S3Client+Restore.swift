import Foundation

extension S3Client {
    /// RestoreObject: asks S3 to retrieve an archived object (or one version) at `tier`, its temporary copy kept
    /// `days` days; nil days for an Intelligent-Tiering object, which S3 moves back to its frequent tier instead
    /// (and refuses `Days` for). A retrieval already under way (409 RestoreAlreadyInProgress) is an answer, not an
    /// error. https://docs.aws.amazon.com/AmazonS3/latest/API/API_RestoreObject.html
    public func restoreObject(bucket: String, key: String, versionID: String? = nil, tier: RetrievalTier,
                              days: Int?) async throws -> RetrievalRequest {
        precondition(days.map { $0 >= 1 } ?? true, "a retrieved copy lasts at least a day")
        var query = [("restore", "")]
        if let versionID { query.append(("versionId", versionID)) }
        let xml = "<RestoreRequest xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            + (days.map { "<Days>\($0)</Days>" } ?? "")
            + "<GlacierJobParameters><Tier>\(tier.rawValue)</Tier></GlacierJobParameters></RestoreRequest>"
        let body = Array(xml.utf8)
        var request = S3Request("RestoreObject", "POST", bucket: bucket, key: key, query: query,
                                headers: [("content-type", "application/xml"), contentMD5(body)])
        request.body = BytesBody(body)
        do {
            return try await send(request).http.status == 200 ? .alreadyDone : .accepted
        } catch let error as S3Error where error.code == "RestoreAlreadyInProgress" {
            return .alreadyInProgress
        }
    }
}
