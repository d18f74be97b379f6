/// An `s3://BUCKET[/PREFIX]` location as the AWS CLI writes it. The prefix is kept byte for byte: no trimming,
/// no normalisation, so `s3://b//a/./` means the prefix `/a/./`.
public struct S3URL: Sendable, Equatable, CustomStringConvertible {
    /// The bucket name.
    public let bucket: String
    /// Everything after the first `/` following the bucket; "" for the whole bucket.
    public let prefix: String

    /// Parses `text`; throws a configuration error that shows the expected form.
    public init(_ text: String) throws {
        func invalid(_ why: String) -> S3Error {
            S3Error(.configuration, "\(text.debugDescription) is not an S3 URL: \(why); expected s3://BUCKET or s3://BUCKET/PREFIX")
        }
        guard text.hasPrefix("s3://") else { throw invalid("it must start with s3://") }
        let rest = text.dropFirst(5)
        let bucket = rest.prefix { $0 != "/" }
        guard !bucket.isEmpty else { throw invalid("the bucket name is missing") }
        // Rules for names: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (legacy
        // us-east-1 buckets may also hold capitals and underscores, so those are accepted).
        guard (3...255).contains(bucket.utf8.count), bucket.utf8.allSatisfy(S3URL.isBucketByte) else {
            throw invalid("\(String(bucket).debugDescription) is not a valid bucket name (3-63 letters, digits, dots, hyphens)")
        }
        self.bucket = String(bucket)
        prefix = String(rest.dropFirst(bucket.count + 1))
    }

    /// The location as a folder, as the AWS CLI reads it for sync: a non-empty prefix that does not end in `/` gets
    /// one, so `s3://b/data` holds `data/f` but never `data-other/f`.
    public var folder: S3URL {
        prefix.isEmpty || prefix.hasSuffix("/") ? self : S3URL(bucket: bucket, prefix: prefix + "/")
    }

    /// Whether every key of `other` is also a key of this location (both read as folders): the same bucket, and
    /// a prefix that starts with this one, byte for byte. Locations of different services never overlap; the caller
    /// compares services.
    public func contains(_ other: S3URL) -> Bool {
        bucket == other.bucket && other.folder.prefix.utf8.starts(with: folder.prefix.utf8)
    }

    private init(bucket: String, prefix: String) {
        self.bucket = bucket
        self.prefix = prefix
    }

    /// `s3://bucket/prefix`.
    public var description: String { prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)" }

    private static func isBucketByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}
