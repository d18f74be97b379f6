import SigV4

extension ObjectStore {
    /// ListObjectsV2 as a sequence of pages, fetched one at a time as the caller iterates: memory holds one page.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
    public func listObjects(bucket: String, prefix: String = "", delimiter: String? = nil, startAfter: String? = nil,
                            pageSize: Int = 1_000) -> ObjectPages {
        precondition((1...1_000).contains(pageSize), "S3 returns at most 1,000 keys a page")
        return ObjectPages(store: self, bucket: bucket, prefix: prefix, delimiter: delimiter, startAfter: startAfter,
                           pageSize: pageSize)
    }

    /// ListObjectVersions as a sequence of pages: every version and delete marker under `prefix`.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
    public func listObjectVersions(bucket: String, prefix: String = "", delimiter: String? = nil,
                                   pageSize: Int = 1_000) -> VersionPages {
        precondition((1...1_000).contains(pageSize), "S3 returns at most 1,000 versions a page")
        return VersionPages(store: self, bucket: bucket, prefix: prefix, delimiter: delimiter, pageSize: pageSize)
    }
}

extension S3Client {
    /// One ListObjectsV2 request. Keys come back with `encoding-type=url`, so keys with control characters survive
    /// the XML. https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
    public func listObjectsPage(bucket: String, prefix: String, delimiter: String?, startAfter: String?,
                                continuationToken: String?, maxKeys: Int) async throws -> ObjectListing {
        var query = [("list-type", "2"), ("encoding-type", "url"), ("max-keys", String(maxKeys)), ("prefix", prefix)]
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let continuationToken {
            query.append(("continuation-token", continuationToken))
        } else if let startAfter {
            query.append(("start-after", startAfter))
        }
        let (tree, decoding) = try await listPage("ListObjectsV2", bucket: bucket, query: query)
        let objects = try tree.children("Contents").map { entry in
            ObjectSummary(key: try decoding.decode(entry.text("Key")), size: Int64(entry.text("Size") ?? "") ?? 0,
                          etag: ETag(entry.text("ETag") ?? ""), lastModified: entry.text("LastModified") ?? "",
                          storageClass: entry.text("StorageClass") ?? "STANDARD")
        }
        return ObjectListing(page: ListPage(objects: objects, commonPrefixes: try decoding.prefixes(tree)),
                             isTruncated: tree.text("IsTruncated") == "true", nextContinuationToken: tree.text("NextContinuationToken"))
    }

    /// One ListObjectVersions request (`encoding-type=url`, decoded where the server says it encoded).
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
    public func listObjectVersionsPage(bucket: String, prefix: String, delimiter: String?, keyMarker: String?,
                                       versionIDMarker: String?, maxKeys: Int) async throws -> VersionListing {
        var query = [("versions", ""), ("encoding-type", "url"), ("max-keys", String(maxKeys)), ("prefix", prefix)]
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let keyMarker { query.append(("key-marker", keyMarker)) }
        if let versionIDMarker { query.append(("version-id-marker", versionIDMarker)) }
        let (tree, decoding) = try await listPage("ListObjectVersions", bucket: bucket, query: query)
        var versions: [ObjectVersion] = []
        for entry in tree.children where entry.name == "Version" || entry.name == "DeleteMarker" {
            let marker = entry.name == "DeleteMarker"
            versions.append(ObjectVersion(
                key: try decoding.decode(entry.text("Key")), versionID: entry.text("VersionId") ?? "null",
                isLatest: entry.text("IsLatest") == "true", isDeleteMarker: marker,
                lastModified: entry.text("LastModified") ?? "", etag: marker ? nil : ETag(entry.text("ETag") ?? ""),
                size: Int64(entry.text("Size") ?? "") ?? 0, storageClass: marker ? nil : entry.text("StorageClass")))
        }
        let truncated = tree.text("IsTruncated") == "true"
        let prefixes = try decoding.prefixes(tree)
        // Only a truncated page's marker is read (and must decode): the last page's is never used.
        let nextKeyMarker = truncated ? try tree.text("NextKeyMarker").map { try decoding.decode($0) } : nil
        return VersionListing(page: VersionPage(versions: versions, commonPrefixes: prefixes), isTruncated: truncated,
                              nextKeyMarker: nextKeyMarker, nextVersionIDMarker: tree.text("NextVersionIdMarker"))
    }

    fileprivate func listPage(_ operation: String, bucket: String, query: [(String, String)]) async throws -> (XMLTree, ListDecoding) {
        let response = try await send(S3Request(operation, "GET", bucket: bucket, query: query))
        let tree = try response.xml()
        return (tree, ListDecoding(encoded: tree.text("EncodingType") == "url", operation: operation, bucket: bucket))
    }
}

/// Decodes keys and prefixes of a list response: only when S3 says it encoded them (some servers ignore
/// `encoding-type`, and moto does for versions). S3 encodes a space as `+`, so `+` is decoded as a space.
private struct ListDecoding {
    let encoded: Bool
    let operation: String
    let bucket: String

    func decode(_ value: String?) throws -> String {
        guard let value else { throw S3Error(.invalidResponse, "an entry has no Key", operation: operation, bucket: bucket) }
        guard encoded else { return value }
        guard let decoded = URIEncoding.decode(value, plusIsSpace: true) else {
            throw S3Error(.invalidResponse, "a key is not valid URL encoding: \(value.debugDescription)",
                          operation: operation, bucket: bucket)
        }
        return decoded
    }

    func prefixes(_ tree: XMLTree) throws -> [String] {
        try tree.children("CommonPrefixes").map { try decode($0.text("Prefix")) }
    }
}

/// The pages of a ListObjectsV2 listing, in key order.
public struct ObjectPages: AsyncSequence, Sendable {
    /// Each element is one page.
    public typealias Element = ListPage
    let store: any ObjectStore
    let bucket: String
    let prefix: String
    let delimiter: String?
    let startAfter: String?
    let pageSize: Int

    /// Starts the listing.
    public func makeAsyncIterator() -> Iterator { Iterator(pages: self) }

    /// Fetches the next page when asked.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        let pages: ObjectPages
        var continuationToken: String?
        var finished = false
        var progress: ListingProgress

        init(pages: ObjectPages) {
            self.pages = pages
            progress = ListingProgress(operation: "ListObjectsV2", bucket: pages.bucket, prefix: pages.prefix)
        }

        /// The next page, or nil after the last.
        public mutating func next() async throws -> ListPage? {
            guard !finished else { return nil }
            let answer = try await pages.store.listObjectsPage(
                bucket: pages.bucket, prefix: pages.prefix, delimiter: pages.delimiter,
                startAfter: continuationToken == nil ? pages.startAfter : nil, continuationToken: continuationToken,
                maxKeys: pages.pageSize)
            if answer.isTruncated {
                guard let next = answer.nextContinuationToken, !next.isEmpty else {
                    throw S3Error(.invalidResponse, "a truncated page has no NextContinuationToken",
                                  operation: "ListObjectsV2", bucket: pages.bucket)
                }
                try progress.objectsPage(entries: answer.page.objects.map(\.key) + answer.page.commonPrefixes,
                                         sent: continuationToken, next: next)
                continuationToken = next
            } else {
                finished = true
            }
            return answer.page
        }
    }
}

/// The pages of a ListObjectVersions listing.
public struct VersionPages: AsyncSequence, Sendable {
    /// Each element is one page.
    public typealias Element = VersionPage
    let store: any ObjectStore
    let bucket: String
    let prefix: String
    let delimiter: String?
    let pageSize: Int

    /// Starts the listing.
    public func makeAsyncIterator() -> Iterator { Iterator(pages: self) }

    /// Fetches the next page when asked.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        let pages: VersionPages
        var keyMarker: String?
        var versionMarker: String?
        var finished = false
        var progress: ListingProgress

        init(pages: VersionPages) {
            self.pages = pages
            progress = ListingProgress(operation: "ListObjectVersions", bucket: pages.bucket, prefix: pages.prefix)
        }

        /// The next page, or nil after the last.
        public mutating func next() async throws -> VersionPage? {
            guard !finished else { return nil }
            let answer = try await pages.store.listObjectVersionsPage(
                bucket: pages.bucket, prefix: pages.prefix, delimiter: pages.delimiter, keyMarker: keyMarker,
                versionIDMarker: versionMarker, maxKeys: pages.pageSize)
            var versions = answer.page.versions
            // AWS interleaves versions and delete markers, newest first per key; moto lists all markers after all
            // versions. Restore AWS's order: key bytes ascending, the latest first, then newer before older (ISO 8601
            // sorts as text). The sort is stable, so entries S3 dated alike keep S3's order.
            versions.sort { a, b in
                if !a.key.utf8.elementsEqual(b.key.utf8) { return a.key.utf8.lexicographicallyPrecedes(b.key.utf8) }
                if a.isLatest != b.isLatest { return a.isLatest }
                return a.lastModified > b.lastModified
            }
            if answer.isTruncated {
                guard let nextKeyMarker = answer.nextKeyMarker else {
                    throw S3Error(.invalidResponse, "a truncated page has no NextKeyMarker",
                                  operation: "ListObjectVersions", bucket: pages.bucket)
                }
                let nextVersionMarker = answer.nextVersionIDMarker
                try progress.versionsPage(sentKey: keyMarker, sentVersion: versionMarker, nextKey: nextKeyMarker,
                                          nextVersion: nextVersionMarker)
                keyMarker = nextKeyMarker
                versionMarker = nextVersionMarker
            } else {
                finished = true
            }
            return VersionPage(versions: versions, commonPrefixes: answer.page.commonPrefixes)
        }
    }
}
