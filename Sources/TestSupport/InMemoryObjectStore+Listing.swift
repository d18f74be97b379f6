import Foundation
import S3

/// One entry of a listing before paging: an object (or version) or a prefix the delimiter rolled up.
private enum ListedEntry {
    case version(StoredVersion, isLatest: Bool)
    case prefix(String)

    /// What the entry sorts and pages by: its key, or the common prefix.
    var name: [UInt8] {
        switch self {
        case .version(let version, _): Array(version.key.utf8)
        case .prefix(let prefix): Array(prefix.utf8)
        }
    }
}

extension InMemoryObjectStore {
    /// ListObjectsV2: current objects under `prefix` in ascending UTF-8 byte order, keys after `startAfter`, those
    /// with `delimiter` after the prefix rolled up into one common prefix each, at most `maxKeys` (and 1,000) entries
    /// a page, objects and prefixes counted alike. The continuation token is opaque and names where the page ended.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
    public func listObjectsPage(bucket: String, prefix: String, delimiter: String?, startAfter: String?,
                                continuationToken: String?, maxKeys: Int) async throws -> ObjectListing {
        try withState { state in
            state.operations.append("ListObjectsV2")
            let stored = try state.bucket(bucket, operation: "ListObjectsV2", endpoint: endpoint)
            var after = startAfter.map { Array($0.utf8) }
            if let continuationToken {
                guard let position = Self.position(continuationToken) else {
                    throw state.error(400, "InvalidArgument", "The continuation token provided is incorrect",
                                      operation: "ListObjectsV2", bucket: bucket, key: nil, endpoint: endpoint)
                }
                after = position
            }
            var entries: [ListedEntry] = []
            for key in stored.sortedKeys where key.starts(with: prefix.utf8) {
                guard let current = stored.keys[key]!.first, !current.isDeleteMarker else { continue }
                if let startAfter, !startAfter.utf8.lexicographicallyPrecedes(key) { continue }
                Self.add(.version(current, isLatest: true), key: key, prefix: prefix, delimiter: delimiter, to: &entries)
            }
            if let after { entries.removeAll { !after.lexicographicallyPrecedes($0.name) } }
            let limit = min(max(maxKeys, 0), Self.maxPageSize)
            let page = entries.prefix(limit)
            let truncated = entries.count > page.count
            var objects: [ObjectSummary] = [], prefixes: [String] = []
            for entry in page {
                switch entry {
                case .version(let version, _):
                    objects.append(ObjectSummary(key: version.key, size: Int64(version.body.count), etag: version.etag,
                                                 lastModified: Self.listedTime(version.lastModified),
                                                 storageClass: version.storageClass))
                case .prefix(let common):
                    prefixes.append(common)
                }
            }
            return ObjectListing(page: ListPage(objects: objects, commonPrefixes: prefixes), isTruncated: truncated,
                                 nextContinuationToken: truncated ? Self.token(page.last!.name) : nil)
        }
    }

    /// ListObjectVersions: every version and delete marker under `prefix`, keys in ascending UTF-8 byte order and each
    /// key's versions newest first, delete markers among them where they were written; after `keyMarker` (all of its
    /// versions, or with `versionIDMarker` those after that one), at most `maxKeys` (and 1,000) entries a page.
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
    public func listObjectVersionsPage(bucket: String, prefix: String, delimiter: String?, keyMarker: String?,
                                       versionIDMarker: String?, maxKeys: Int) async throws -> VersionListing {
        try withState { state in
            state.operations.append("ListObjectVersions")
            let stored = try state.bucket(bucket, operation: "ListObjectVersions", endpoint: endpoint)
            let marker = keyMarker.map { Array($0.utf8) }
            var entries: [ListedEntry] = []
            for key in stored.sortedKeys where key.starts(with: prefix.utf8) {
                if let marker, key.lexicographicallyPrecedes(marker) { continue }
                var versions = stored.keys[key]!.enumerated().map { ListedEntry.version($1, isLatest: $0 == 0) }[...]
                if let marker, key == marker {
                    // The marker's key: nothing of it without a version marker, else what follows that version.
                    guard let versionIDMarker, !versionIDMarker.isEmpty,
                          let index = stored.keys[key]!.firstIndex(where: { $0.versionID == versionIDMarker }) else { continue }
                    versions = versions.dropFirst(index + 1)
                }
                for entry in versions { Self.add(entry, key: key, prefix: prefix, delimiter: delimiter, to: &entries) }
            }
            if let marker { entries.removeAll { if case .prefix = $0 { !marker.lexicographicallyPrecedes($0.name) } else { false } } }
            let limit = min(max(maxKeys, 0), Self.maxPageSize)
            let page = entries.prefix(limit)
            let truncated = entries.count > page.count
            var versions: [ObjectVersion] = [], prefixes: [String] = []
            for entry in page {
                switch entry {
                case .version(let version, let isLatest):
                    versions.append(ObjectVersion(
                        key: version.key, versionID: version.versionID, isLatest: isLatest, isDeleteMarker: version.isDeleteMarker,
                        lastModified: Self.listedTime(version.lastModified), etag: version.isDeleteMarker ? nil : version.etag,
                        size: Int64(version.body.count), storageClass: version.isDeleteMarker ? nil : version.storageClass))
                case .prefix(let common):
                    prefixes.append(common)
                }
            }
            var nextKey: String?, nextVersion: String?
            if truncated, let last = page.last {
                switch last {
                case .version(let version, _): (nextKey, nextVersion) = (version.key, version.versionID)
                case .prefix(let common): nextKey = common
                }
            }
            return VersionListing(page: VersionPage(versions: versions, commonPrefixes: prefixes), isTruncated: truncated,
                                  nextKeyMarker: nextKey, nextVersionIDMarker: nextVersion)
        }
    }

    /// Adds `entry` of `key`, or the common prefix it rolls up into (once: a prefix's keys are adjacent in byte order).
    private static func add(_ entry: ListedEntry, key: [UInt8], prefix: String, delimiter: String?, to entries: inout [ListedEntry]) {
        let rest = key.dropFirst(prefix.utf8.count)
        if let delimiter, !delimiter.isEmpty, let end = rest.firstRange(of: Array(delimiter.utf8)) {
            let common = String(decoding: key[..<end.upperBound], as: UTF8.self)
            if case .prefix(let last)? = entries.last, last.utf8.elementsEqual(common.utf8) { return }
            entries.append(.prefix(common))
        } else {
            entries.append(entry)
        }
    }

    /// A continuation token: opaque to the caller, the bytes of the last entry listed.
    private static func token(_ name: [UInt8]) -> String { "t1:" + Data(name).base64EncodedString() }

    /// The position a token names, or nil for a token this store did not give.
    private static func position(_ token: String) -> [UInt8]? {
        guard token.hasPrefix("t1:"), let data = Data(base64Encoded: String(token.dropFirst(3))) else { return nil }
        return Array(data)
    }
}
