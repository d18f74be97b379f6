/// Sizes as every report, page and mail of s3backup writes them: IEC binary units (1 KiB = 1,024 bytes, then MiB,
/// GiB, TiB, PiB, EiB), the unit S3's own limits are stated in (5 GiB for one copy, 5 MiB for a part), with one
/// decimal; below 1 KiB the exact count of bytes. JSON always carries exact byte counts.
/// https://physics.nist.gov/cuu/Units/binary.html
public enum ByteCount {
    private static let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]

    /// `count` bytes for a person: "0 bytes", "1 byte", "1023 bytes", "1.0 KiB", "12.5 MiB".
    public static func text(_ count: Int64) -> String {
        precondition(count >= 0, "a size is never negative")
        if count < 1_024 { return count == 1 ? "1 byte" : "\(count) bytes" }
        return scaled(Double(count), suffix: "")
    }

    /// A rate for a person: "0 bytes/s", "12.5 MiB/s".
    public static func rate(_ bytesPerSecond: Double) -> String {
        precondition(bytesPerSecond >= 0, "a rate is never negative")
        if bytesPerSecond < 1_024 { return "\(Int(bytesPerSecond.rounded())) bytes/s" }
        return scaled(bytesPerSecond, suffix: "/s")
    }

    /// `value` (at least 1,024) in the largest unit that keeps it at least 1 once rounded to a tenth; a value that
    /// rounds to 1,024.0 of one unit is written as 1.0 of the next.
    private static func scaled(_ value: Double, suffix: String) -> String {
        var amount = value / 1_024, unit = 0
        while unit < units.count - 1, (amount * 10).rounded() >= 10_240 {
            amount /= 1_024
            unit += 1
        }
        let tenths = Int64((amount * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])\(suffix)"
    }
}
