import Foundation

/// A request time in the two forms SigV4 uses: `20130524T000000Z` (x-amz-date) and `20130524` (scope).
public struct AmzDate: Sendable, Equatable {
    /// ISO 8601 basic format in UTC, as in the `x-amz-date` header.
    public let timestamp: String
    /// The first eight characters of `timestamp`: the date of the credential scope.
    public var day: Substring { timestamp.prefix(8) }

    /// Formats `date` in UTC without a DateFormatter (no locale, no shared state).
    public init(_ date: Date) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds.floorDiv(86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = AmzDate.civil(fromDays: days)
        // Digits by hand: String(format:) costs more than the rest of signing a request.
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        func append(_ value: Int, digits: Int) {
            var divisor = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        append(year, digits: 4)
        append(month, digits: 2)
        append(day, digits: 2)
        bytes.append(UInt8(ascii: "T"))
        append(secondOfDay / 3600, digits: 2)
        append(secondOfDay / 60 % 60, digits: 2)
        append(secondOfDay % 60, digits: 2)
        bytes.append(UInt8(ascii: "Z"))
        timestamp = String(decoding: bytes, as: UTF8.self)
    }

    /// Parses `20130524T000000Z`; nil for anything else.
    public init?(timestamp: String) {
        let bytes = Array(timestamp.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z"),
              bytes.enumerated().allSatisfy({ [8, 15].contains($0.offset) || (48...57).contains($0.element) })
        else { return nil }
        self.timestamp = timestamp
    }

    /// Howard Hinnant's days-to-civil algorithm (http://howardhinnant.github.io/date_algorithms.html).
    private static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = z.floorDiv(146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int {
    fileprivate func floorDiv(_ divisor: Int) -> Int {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
