import Foundation
import S3
import SigV4

extension InMemoryObjectStore {
    /// CopyObject. Its errors name the request (the destination), as S3Client's do: a missing source is NoSuchKey,
    /// a source whose ETag is no longer `sourceETag` 412 PreconditionFailed (`x-amz-copy-source-if-match`), an
    /// archived one 403 ObjectNotInActiveTierError. Metadata and tags are the source's (COPY) or the given (REPLACE);
    /// the storage class is never inherited; the copy is one part (its ETag the MD5 of the body unless encrypted
    /// with SSE-KMS), and keeps the source's additional checksum.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
    @discardableResult
    public func copyObject(from source: ObjectLocation, to bucket: String, key: String, metadata: S3Client.Directive<ObjectMetadata>,
                           tags: S3Client.Directive<[Tag]>, storageClass: String?, encryption: ServerSideEncryption?,
                           retention: ObjectRetention?, sourceETag: ETag?) async throws -> WriteResult {
        try withState { state in
            state.operations.append("CopyObject")
            let original = try state.copySource(source, ifMatch: sourceETag, operation: "CopyObject", bucket: bucket, key: key,
                                                endpoint: endpoint)
            let sameObject = source.bucket == bucket && source.key.utf8.elementsEqual(key.utf8)
            if sameObject, metadata == .copy, storageClass == nil, encryption == nil {
                throw state.error(400, "InvalidRequest", "This copy request is illegal because it is trying to copy an object "
                    + "to itself without changing the object's metadata, storage class, website redirect location or "
                    + "encryption attributes.", operation: "CopyObject", bucket: bucket, key: key, endpoint: endpoint)
            }
            var copy = StoredVersion(key: key)
            copy.body = original.body
            let kept: ObjectMetadata
            if case .replace(let replacement) = metadata { kept = replacement } else { kept = original.metadata }
            let keptTags: [Tag]
            if case .replace(let replacement) = tags { keptTags = replacement } else { keptTags = original.tags }
            copy.apply(WriteOptions(metadata: kept, storageClass: storageClass, encryption: encryption, tags: keptTags,
                                    retention: retention), bucketDefault: state.buckets[bucket]?.defaultEncryption)
            copy.etag = copy.encryption == "aws:kms" ? state.opaqueETag(parts: nil) : ETag(md5Of: copy.body)
            copy.checksum = original.checksum
            return try state.write(copy, bucket: bucket, operation: "CopyObject", endpoint: endpoint)
        }
    }

    /// CreateMultipartUpload: metadata, storage class, encryption and tags are the upload's.
    public func createMultipartUpload(bucket: String, key: String, options: WriteOptions) async throws -> String {
        try withState { state in
            state.operations.append("CreateMultipartUpload")
            _ = try state.bucket(bucket, operation: "CreateMultipartUpload", endpoint: endpoint)
            let id = state.nextID()
            state.uploads[id] = StoredUpload(bucket: bucket, key: key, options: options)
            return id
        }
    }

    /// UploadPart: the part's ETag is its MD5 (opaque when the upload is SSE-KMS); a part uploaded again replaces it.
    public func uploadPart(bucket: String, key: String, uploadID: String, number: Int, body: any BodySource) async throws -> CompletedPart {
        precondition((1...10_000).contains(number), "part numbers run from 1 to 10,000")
        withState { $0.operations.append("UploadPart") }
        let bytes = try await read(body, operation: "UploadPart", bucket: bucket, key: key)
        return try withState { state in
            try state.addPart(bytes, number: number, uploadID: uploadID, operation: "UploadPart", bucket: bucket, key: key,
                              endpoint: endpoint)
        }
    }

    /// UploadPartCopy: `range` of the source as a part, with CopyObject's source rules; a range outside the source is
    /// 400 InvalidArgument. https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
    public func uploadPartCopy(bucket: String, key: String, uploadID: String, number: Int, source: ObjectLocation,
                               range: ClosedRange<Int64>, sourceETag: ETag?) async throws -> CompletedPart {
        precondition((1...10_000).contains(number), "part numbers run from 1 to 10,000")
        return try withState { state in
            state.operations.append("UploadPartCopy")
            let original = try state.copySource(source, ifMatch: sourceETag, operation: "UploadPartCopy", bucket: bucket,
                                                key: key, endpoint: endpoint)
            guard range.upperBound < Int64(original.body.count) else {
                throw state.error(400, "InvalidArgument", "Range specified is not valid for source object of size: "
                    + "\(original.body.count)", operation: "UploadPartCopy", bucket: bucket, key: key, endpoint: endpoint)
            }
            let bytes = Array(original.body[Int(range.lowerBound)...Int(range.upperBound)])
            return try state.addPart(bytes, number: number, uploadID: uploadID, operation: "UploadPartCopy", bucket: bucket,
                                     key: key, endpoint: endpoint)
        }
    }

    /// CompleteMultipartUpload: the parts (sorted, as S3Client sends them) must each be listed once (InvalidPartOrder), be
    /// one uploaded with that ETag
    /// (InvalidPart), and all but the last be at least `minimumPartSize` (EntityTooSmall). The object's ETag is the MD5
    /// of the parts' binary MD5s and `-N` (opaque and `-N` under SSE-KMS).
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
    @discardableResult
    public func completeMultipartUpload(bucket: String, key: String, uploadID: String, parts: [CompletedPart]) async throws -> WriteResult {
        precondition(!parts.isEmpty, "a multipart upload needs at least one part")
        return try withState { state in
            state.operations.append("CompleteMultipartUpload")
            func fail(_ status: Int, _ code: String, _ message: String) -> S3Error {
                state.error(status, code, message, operation: "CompleteMultipartUpload", bucket: bucket, key: key, endpoint: endpoint)
            }
            let upload = try state.upload(uploadID, bucket: bucket, key: key, operation: "CompleteMultipartUpload", endpoint: endpoint)
            // S3Client sends the parts sorted by number, whatever order they are given in; a number twice is out of order.
            let parts = parts.sorted { $0.number < $1.number }
            guard zip(parts, parts.dropFirst()).allSatisfy({ $0.number < $1.number }) else {
                throw fail(400, "InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be "
                    + "specified in order by part number.")
            }
            var chosen: [[UInt8]] = []
            for part in parts {
                guard let uploaded = upload.parts[part.number], uploaded.etag == part.etag else {
                    throw fail(400, "InvalidPart", "One or more of the specified parts could not be found. The part may not "
                        + "have been uploaded, or the specified entity tag may not match the part's entity tag.")
                }
                chosen.append(uploaded.bytes)
            }
            if chosen.dropLast().contains(where: { Int64($0.count) < minimumPartSize }) {
                throw fail(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.")
            }
            var version = StoredVersion(key: key)
            version.body = chosen.flatMap { $0 }
            version.partSizes = chosen.map { Int64($0.count) }
            version.apply(upload.options, bucketDefault: state.buckets[bucket]?.defaultEncryption)
            version.etag = version.encryption == "aws:kms" ? state.opaqueETag(parts: chosen.count)
                : InMemoryObjectStore.multipartETag(chosen.map { Digest.md5($0) })
            state.uploads[uploadID] = nil
            return try state.write(version, bucket: bucket, operation: "CompleteMultipartUpload", endpoint: endpoint)
        }
    }

    /// AbortMultipartUpload; an upload that is not (or no longer) there is NoSuchUpload.
    public func abortMultipartUpload(bucket: String, key: String, uploadID: String) async throws {
        try withState { state in
            state.operations.append("AbortMultipartUpload")
            _ = try state.upload(uploadID, bucket: bucket, key: key, operation: "AbortMultipartUpload", endpoint: endpoint)
            state.uploads[uploadID] = nil
        }
    }
}

extension InMemoryObjectStore.State {
    /// The version a copy reads, or S3's refusal of it. https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
    func copySource(_ source: ObjectLocation, ifMatch: ETag?, operation: String, bucket: String, key: String,
                    endpoint: Endpoint) throws -> StoredVersion {
        func fail(_ status: Int, _ code: String, _ message: String) -> S3Error {
            error(status, code, message, operation: operation, bucket: bucket, key: key, endpoint: endpoint)
        }
        guard let stored = buckets[source.bucket] else { throw fail(404, "NoSuchBucket", "The specified bucket does not exist") }
        let versions = stored.keys[Array(source.key.utf8)] ?? []
        let found: StoredVersion
        if let versionID = source.versionID {
            guard let version = versions.first(where: { $0.versionID == versionID }) else {
                throw fail(404, "NoSuchVersion", "The specified version does not exist.")
            }
            if version.isDeleteMarker {
                throw fail(400, "InvalidRequest", "The source of a copy request may not specifically refer to a delete marker by version id.")
            }
            found = version
        } else {
            guard let current = versions.first, !current.isDeleteMarker else {
                throw fail(404, "NoSuchKey", "The specified key does not exist.")
            }
            found = current
        }
        if let ifMatch, ifMatch != found.etag {
            throw fail(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
        }
        if found.customerKey {
            throw customerKeyRefusal(operation: operation, bucket: bucket, key: key, head: false, endpoint: endpoint)
        }
        if found.isArchived {
            throw fail(403, "ObjectNotInActiveTierError", "The source object of the COPY action is not in the active tier "
                + "and is only stored in Amazon Glacier.")
        }
        return found
    }

    /// The upload `id` of `key`, or NoSuchUpload.
    func upload(_ id: String, bucket: String, key: String, operation: String, endpoint: Endpoint) throws -> StoredUpload {
        guard let upload = uploads[id], upload.bucket == bucket, upload.key.utf8.elementsEqual(key.utf8) else {
            throw error(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the "
                + "upload may have been aborted or completed.", operation: operation, bucket: bucket, key: key, endpoint: endpoint)
        }
        return upload
    }

    /// Stores `bytes` as part `number` of the upload; its ETag.
    mutating func addPart(_ bytes: [UInt8], number: Int, uploadID: String, operation: String, bucket: String, key: String,
                          endpoint: Endpoint) throws -> CompletedPart {
        let upload = try self.upload(uploadID, bucket: bucket, key: key, operation: operation, endpoint: endpoint)
        let encrypted = (upload.options.encryption ?? buckets[bucket]?.defaultEncryption)?.algorithm == "aws:kms"
        let etag = encrypted ? opaqueETag(parts: nil) : ETag(md5Of: bytes)
        uploads[uploadID]!.parts[number] = (bytes, etag)
        return CompletedPart(number: number, etag: etag)
    }
}
