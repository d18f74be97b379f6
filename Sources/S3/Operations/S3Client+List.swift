import SigV4

extension S3Client {
    /// ListObjectsV2 as a sequence of pages, fetched one at a time as the caller iterates: memory holds one page.
    /// Keys come back with `encoding-type=url`, so keys with control characters survive the XML.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
    public func listObjects(bucket: String, prefix: String = "", delimiter: String? = nil, startAfter: String? = nil,
                            pageSize: Int = 1_000) -> ObjectPages {
        precondition((1...1_000).contains(pageSize), "S3 returns at most 1,000 keys a page")
        return ObjectPages(client: self, bucket: bucket, prefix: prefix, delimiter: delimiter, startAfter: startAfter,
                           pageSize: pageSize)
    }

    /// ListObjectVersions as a sequence of pages: every version and delete marker under `prefix`.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
    public func listObjectVersions(bucket: String, prefix: String = "", delimiter: String? = nil,
                                   pageSize: Int = 1_000) -> VersionPages {
        precondition((1...1_000).contains(pageSize), "S3 returns at most 1,000 versions a page")
        return VersionPages(client: self, bucket: bucket, prefix: prefix, delimiter: delimiter, pageSize: pageSize)
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
    let client: S3Client
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
            var query = [("list-type", "2"), ("encoding-type", "url"), ("max-keys", String(pages.pageSize)),
                         ("prefix", pages.prefix)]
            if let delimiter = pages.delimiter { query.append(("delimiter", delimiter)) }
            if let token = continuationToken {
                query.append(("continuation-token", token))
            } else if let startAfter = pages.startAfter {
                query.append(("start-after", startAfter))
            }
            let (tree, decoding) = try await pages.client.listPage("ListObjectsV2", bucket: pages.bucket, query: query)
            let objects = try tree.children("Contents").map { entry in
                ObjectSummary(key: try decoding.decode(entry.text("Key")), size: Int64(entry.text("Size") ?? "") ?? 0,
                              etag: ETag(entry.text("ETag") ?? ""), lastModified: entry.text("LastModified") ?? "",
                              storageClass: entry.text("StorageClass") ?? "STANDARD")
            }
            let prefixes = try decoding.prefixes(tree)
            if tree.text("IsTruncated") == "true" {
                guard let next = tree.text("NextContinuationToken"), !next.isEmpty else {
                    throw S3Error(.invalidResponse, "a truncated page has no NextContinuationToken",
                                  operation: "ListObjectsV2", bucket: pages.bucket)
                }
                try progress.objectsPage(entries: objects.map(\.key) + prefixes, sent: continuationToken, next: next)
                continuationToken = next
            } else {
                finished = true
            }
            return ListPage(objects: objects, commonPrefixes: prefixes)
        }
    }
}

/// The pages of a ListObjectVersions listing.
public struct VersionPages: AsyncSequence, Sendable {
    /// Each element is one page.
    public typealias Element = VersionPage
    let client: S3Client
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
            var query = [("versions", ""), ("encoding-type", "url"), ("max-keys", String(pages.pageSize)),
                         ("prefix", pages.prefix)]
            if let delimiter = pages.delimiter { query.append(("delimiter", delimiter)) }
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let versionMarker { query.append(("version-id-marker", versionMarker)) }
            let (tree, decoding) = try await pages.client.listPage("ListObjectVersions", bucket: pages.bucket, query: query)
            var versions: [ObjectVersion] = []
            for entry in tree.children where entry.name == "Version" || entry.name == "DeleteMarker" {
                let marker = entry.name == "DeleteMarker"
                versions.append(ObjectVersion(
                    key: try decoding.decode(entry.text("Key")), versionID: entry.text("VersionId") ?? "null",
                    isLatest: entry.text("IsLatest") == "true", isDeleteMarker: marker,
                    lastModified: entry.text("LastModified") ?? "", etag: marker ? nil : ETag(entry.text("ETag") ?? ""),
                    size: Int64(entry.text("Size") ?? "") ?? 0, storageClass: marker ? nil : entry.text("StorageClass")))
            }
            // AWS interleaves versions and delete markers, newest first per key; moto lists all markers after all
            // versions. Restore AWS's order: key bytes ascending, the latest first, then newer before older (ISO 8601
            // sorts as text). The sort is stable, so entries S3 dated alike keep S3's order.
            versions.sort { a, b in
                if !a.key.utf8.elementsEqual(b.key.utf8) { return a.key.utf8.lexicographicallyPrecedes(b.key.utf8) }
                if a.isLatest != b.isLatest { return a.isLatest }
                return a.lastModified > b.lastModified
            }
            if tree.text("IsTruncated") == "true" {
                guard let nextKey = tree.text("NextKeyMarker") else {
                    throw S3Error(.invalidResponse, "a truncated page has no NextKeyMarker",
                                  operation: "ListObjectVersions", bucket: pages.bucket)
                }
                let nextKeyMarker = try decoding.decode(nextKey)
                let nextVersionMarker = tree.text("NextVersionIdMarker")
                try progress.versionsPage(sentKey: keyMarker, sentVersion: versionMarker, nextKey: nextKeyMarker,
                                          nextVersion: nextVersionMarker)
                keyMarker = nextKeyMarker
                versionMarker = nextVersionMarker
            } else {
                finished = true
            }
            return VersionPage(versions: versions, commonPrefixes: try decoding.prefixes(tree))
        }
    }
}
