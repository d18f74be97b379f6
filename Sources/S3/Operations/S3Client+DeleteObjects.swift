extension S3Client {
    /// The most keys one DeleteObjects request may name.
    public static let deleteBatchLimit = 1_000

    /// DeleteObjects: removes up to 1,000 keys (or versions) in one request. S3 answers 200 even when some keys
    /// failed: those come back in `errors`. https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
    /// Keys holding characters that do not survive XML (control characters other than tab and line feed) are
    /// deleted one by one with DeleteObject instead, and reported the same way.
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html#object-key-xml-related-constraints
    public func deleteObjects(bucket: String, _ objects: [ObjectVersionRef]) async throws -> DeleteResult {
        precondition((1...S3Client.deleteBatchLimit).contains(objects.count), "DeleteObjects takes 1 to 1,000 keys")
        let batch = objects.filter { XMLTree.roundTrips($0.key) }
        var result = batch.isEmpty ? DeleteResult(deleted: [], errors: []) : try await deleteBatch(bucket: bucket, batch)
        for object in objects where !XMLTree.roundTrips(object.key) {
            do {
                let response = try await send(S3Request("DeleteObject", "DELETE", bucket: bucket, key: object.key,
                                                        query: object.versionID.map { [("versionId", $0)] } ?? []))
                result.deleted.append(object)
                if response.headers["x-amz-delete-marker"] == "true", object.versionID == nil, let marker = response.headers["x-amz-version-id"] {
                    result.markers.append(ObjectVersionRef(key: object.key, versionID: marker))
                }
            } catch let error as S3Error where error.code != nil {
                result.errors.append(DeleteResult.Failure(object: object, code: error.code!, message: error.message))
            }
        }
        return result
    }

    private func deleteBatch(bucket: String, _ objects: [ObjectVersionRef]) async throws -> DeleteResult {
        var xml = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>false</Quiet>"
        for object in objects {
            xml += "<Object><Key>\(XMLTree.escape(object.key))</Key>"
            if let version = object.versionID { xml += "<VersionId>\(XMLTree.escape(version))</VersionId>" }
            xml += "</Object>"
        }
        xml += "</Delete>"
        let body = Array(xml.utf8)
        var request = S3Request("DeleteObjects", "POST", bucket: bucket, query: [("delete", "")],
                                headers: [("content-type", "application/xml"), contentMD5(body)])
        request.body = BytesBody(body)
        let tree = try await send(request).xml()
        let deleted = tree.children("Deleted")
        return DeleteResult(
            deleted: deleted.map { ObjectVersionRef(key: $0.text("Key") ?? "", versionID: $0.text("VersionId")) },
            errors: tree.children("Error").map {
                DeleteResult.Failure(object: ObjectVersionRef(key: $0.text("Key") ?? "", versionID: $0.text("VersionId")),
                                     code: $0.text("Code") ?? "", message: $0.text("Message") ?? "")
            },
            markers: deleted.compactMap { entry in
                guard entry.text("DeleteMarker") == "true", (entry.text("VersionId") ?? "").isEmpty,
                      let marker = entry.text("DeleteMarkerVersionId") else { return nil }
                return ObjectVersionRef(key: entry.text("Key") ?? "", versionID: marker)
            })
    }
}

/// What DeleteObjects did, key by key.
public struct DeleteResult: Sendable, Equatable {
    /// A key S3 could not delete.
    public struct Failure: Sendable, Equatable {
        /// The key (and version).
        public var object: ObjectVersionRef
        /// The AWS error code, e.g. `AccessDenied`.
        public var code: String
        /// S3's message.
        public var message: String

        /// A failure from its parts.
        public init(object: ObjectVersionRef, code: String, message: String) {
            self.object = object
            self.code = code
            self.message = message
        }
    }

    /// Keys removed (S3 also reports keys that did not exist as deleted).
    public var deleted: [ObjectVersionRef]
    /// Keys that were not removed.
    public var errors: [Failure]
    /// The delete markers placed, each as its key and the marker's version id, where S3 told them.
    public var markers: [ObjectVersionRef]

    /// A result from its parts.
    public init(deleted: [ObjectVersionRef], errors: [Failure], markers: [ObjectVersionRef] = []) {
        self.deleted = deleted
        self.errors = errors
        self.markers = markers
    }
}
