/// Objects of one storage class as S3 bills their storage: how many, their bytes, and how far the small ones fall
/// short of the 128 KiB that the Infrequent Access classes bill an object at least.
/// https://aws.amazon.com/s3/pricing/ (the storage table's footnotes)
public struct StorageTally: Codable, Sendable, Equatable {
    /// The least size STANDARD_IA, ONEZONE_IA and GLACIER_IR bill an object at.
    public static let minimumBilledSize: Int64 = 128 << 10

    /// Objects.
    public var objects = 0
    /// Their bytes.
    public var bytes: Int64 = 0
    /// The sum, over the objects smaller than `minimumBilledSize`, of what each lacks of it.
    public var shortOfMinimum: Int64 = 0

    /// Nothing.
    public init(objects: Int = 0, bytes: Int64 = 0, shortOfMinimum: Int64 = 0) {
        self.objects = objects
        self.bytes = bytes
        self.shortOfMinimum = shortOfMinimum
    }

    /// Counts an object of `size` bytes.
    public mutating func add(size: Int64) {
        precondition(size >= 0, "sizes are not negative")
        objects += 1
        bytes += size
        shortOfMinimum += max(0, Self.minimumBilledSize - size)
    }

    /// This tally and `other` together.
    public func adding(_ other: StorageTally) -> StorageTally {
        StorageTally(objects: objects + other.objects, bytes: bytes + other.bytes, shortOfMinimum: shortOfMinimum + other.shortOfMinimum)
    }
}
