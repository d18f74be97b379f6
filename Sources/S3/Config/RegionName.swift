/// The one rule for what a region name may be, whether it was configured (--region, AWS_REGION, the profile) or
/// read from an answer (HeadBucket's `x-amz-bucket-region`, an error's `<Region>`): a region becomes one label of
/// a host name (`s3.REGION.amazonaws.com`), so anything else could send requests to another host.
/// https://docs.aws.amazon.com/general/latest/gr/s3.html
public enum RegionName {
    /// Whether `name` is a region name: 1 to 63 (a DNS label's most) lowercase letters, digits and hyphens, not
    /// starting with a hyphen.
    public static func isValid(_ name: String) -> Bool {
        (1...63).contains(name.utf8.count) && !name.hasPrefix("-") && name.utf8.allSatisfy(isRegionByte)
    }

    private static func isRegionByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-")
    }
}
