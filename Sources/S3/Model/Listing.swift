/// One object as ListObjectsV2 describes it.
public struct ObjectSummary: Sendable, Equatable {
    /// The key, exactly as stored.
    public var key: String
    /// Size in bytes.
    public var size: Int64
    /// The ETag.
    public var etag: ETag
    /// LastModified, ISO 8601 as S3 writes it.
    public var lastModified: String
    /// The storage class.
    public var storageClass: String
}

/// One page of ListObjectsV2.
public struct ListPage: Sendable, Equatable {
    /// Objects in S3's order (ascending UTF-8 bytes of the key).
    public var objects: [ObjectSummary]
    /// Prefixes rolled up by the delimiter.
    public var commonPrefixes: [String]
}

/// One version or delete marker as ListObjectVersions describes it.
public struct ObjectVersion: Sendable, Equatable {
    /// The key, exactly as stored.
    public var key: String
    /// The version id (`null` for objects written before versioning).
    public var versionID: String
    /// Whether this is the key's current version (or current delete marker).
    public var isLatest: Bool
    /// Whether this entry is a delete marker rather than an object version.
    public var isDeleteMarker: Bool
    /// LastModified, ISO 8601 as S3 writes it.
    public var lastModified: String
    /// The ETag; nil for delete markers.
    public var etag: ETag?
    /// The size; 0 for delete markers.
    public var size: Int64
    /// The storage class; nil for delete markers.
    public var storageClass: String?
}

/// One page of ListObjectVersions.
public struct VersionPage: Sendable, Equatable {
    /// Versions and delete markers ordered by key bytes, then newest first.
    public var versions: [ObjectVersion]
    /// Prefixes rolled up by the delimiter.
    public var commonPrefixes: [String]
}
