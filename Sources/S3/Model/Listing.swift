/// Storage classes as S3 names them in listings.
public enum StorageClass {
    /// The classes whose objects S3 reads or copies only once retrieved (RestoreObject); a listing names them.
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-class-intro.html#sc-glacier
    public static let archived: Set<String> = ["GLACIER", "DEEP_ARCHIVE"]
    /// Whether an object of `storageClass` may be archived: GLACIER and DEEP_ARCHIVE always are; an
    /// INTELLIGENT_TIERING one is when HeadObject says `x-amz-archive-status`.
    public static func mayBeArchived(_ storageClass: String) -> Bool {
        archived.contains(storageClass) || storageClass == "INTELLIGENT_TIERING"
    }
}

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

    /// A summary from its parts.
    public init(key: String, size: Int64, etag: ETag, lastModified: String, storageClass: String = "STANDARD") {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.storageClass = storageClass
    }
}

/// One page of ListObjectsV2.
public struct ListPage: Sendable, Equatable {
    /// Objects in S3's order (ascending UTF-8 bytes of the key).
    public var objects: [ObjectSummary]
    /// Prefixes rolled up by the delimiter.
    public var commonPrefixes: [String]

    /// A page from its parts.
    public init(objects: [ObjectSummary], commonPrefixes: [String] = []) {
        self.objects = objects
        self.commonPrefixes = commonPrefixes
    }
}

/// One ListObjectsV2 answer as a store gives it, before the listing checks that it moves on.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
public struct ObjectListing: Sendable, Equatable {
    /// The page's objects and common prefixes.
    public var page: ListPage
    /// Whether more follows (`IsTruncated`).
    public var isTruncated: Bool
    /// The opaque token the next page is asked with (`NextContinuationToken`); nil on the last page.
    public var nextContinuationToken: String?

    /// An answer from its parts.
    public init(page: ListPage, isTruncated: Bool, nextContinuationToken: String?) {
        self.page = page
        self.isTruncated = isTruncated
        self.nextContinuationToken = nextContinuationToken
    }
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

    /// A version (or delete marker) from its parts.
    public init(key: String, versionID: String, isLatest: Bool, isDeleteMarker: Bool, lastModified: String, etag: ETag?,
                size: Int64, storageClass: String?) {
        self.key = key
        self.versionID = versionID
        self.isLatest = isLatest
        self.isDeleteMarker = isDeleteMarker
        self.lastModified = lastModified
        self.etag = etag
        self.size = size
        self.storageClass = storageClass
    }
}

/// One page of ListObjectVersions.
public struct VersionPage: Sendable, Equatable {
    /// Versions and delete markers ordered by key bytes, then newest first.
    public var versions: [ObjectVersion]
    /// Prefixes rolled up by the delimiter.
    public var commonPrefixes: [String]

    /// A page from its parts.
    public init(versions: [ObjectVersion], commonPrefixes: [String] = []) {
        self.versions = versions
        self.commonPrefixes = commonPrefixes
    }
}

/// One ListObjectVersions answer as a store gives it, before the listing checks that it moves on.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
public struct VersionListing: Sendable, Equatable {
    /// The page's versions, delete markers and common prefixes, in the store's order.
    public var page: VersionPage
    /// Whether more follows (`IsTruncated`).
    public var isTruncated: Bool
    /// The key the next page starts after (`NextKeyMarker`); nil on the last page.
    public var nextKeyMarker: String?
    /// The version of `nextKeyMarker` the next page starts after (`NextVersionIdMarker`).
    public var nextVersionIDMarker: String?

    /// An answer from its parts.
    public init(page: VersionPage, isTruncated: Bool, nextKeyMarker: String?, nextVersionIDMarker: String?) {
        self.page = page
        self.isTruncated = isTruncated
        self.nextKeyMarker = nextKeyMarker
        self.nextVersionIDMarker = nextVersionIDMarker
    }
}
