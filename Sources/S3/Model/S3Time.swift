import Foundation

/// Times in the form S3 lists them (`2026-11-20T00:00:00.000Z`), which sorts as text, so a listed LastModified
/// can be compared with a moment directly.
public enum S3Time {
    /// `date` in S3's form, UTC, milliseconds.
    public static func string(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash)
            .time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted))
    }

    /// Parses an ISO 8601 moment (`2026-11-20T00:00:00Z`), fractional seconds allowed; digits past milliseconds
    /// (RGW writes nanoseconds: `2027-01-18T16:28:04.000000000Z`) are cut.
    public static func parse(_ text: String) -> Date? {
        let text = text.replacingOccurrences(of: #"(\.[0-9]{3})[0-9]+"#, with: "$1", options: .regularExpression)
        return (try? Date(text, strategy: .iso8601)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}
