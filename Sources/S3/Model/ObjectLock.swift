import Foundation

/// How Object Lock protects a version until its retain-until date: in governance mode a principal with
/// `s3:BypassGovernanceRetention` may still delete it or shorten its lock; in compliance mode nobody can, the
/// account's root user included. https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html#object-lock-retention-modes
public enum ObjectLockMode: String, Sendable, Codable, CaseIterable {
    /// `GOVERNANCE`.
    case governance = "GOVERNANCE"
    /// `COMPLIANCE`.
    case compliance = "COMPLIANCE"

    /// The mode named `name`, in any case (`governance`, `GOVERNANCE`); nil for anything else.
    public init?(name: String) { self.init(rawValue: name.uppercased()) }
}

/// One version's retention: its mode and the moment until which it cannot be deleted or overwritten.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ObjectLockRetention.html
public struct ObjectRetention: Sendable, Equatable {
    /// The mode.
    public var mode: ObjectLockMode
    /// The retain-until date, to the second (S3 keeps no finer).
    public var until: Date

    /// A retention of `mode` until `until`, cut to the whole second.
    public init(mode: ObjectLockMode, until: Date) {
        self.mode = mode
        self.until = Date(timeIntervalSince1970: until.timeIntervalSince1970.rounded(.down))
    }

    /// `until` as S3 writes it: ISO 8601 in UTC with milliseconds, `2027-01-05T03:00:00.000Z`.
    public var untilText: String { S3Time.string(until) }

    /// The headers that set it on a write (PutObject, CopyObject, CreateMultipartUpload).
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html#AmazonS3-PutObject-request-header-ObjectLockMode
    var headers: [(String, String)] {
        [("x-amz-object-lock-mode", mode.rawValue), ("x-amz-object-lock-retain-until-date", untilText)]
    }

    /// The retention a HeadObject answer tells (sent only to a caller with `s3:GetObjectRetention`); nil for none.
    init?(headers: [String: String]) {
        guard let mode = headers["x-amz-object-lock-mode"].flatMap(ObjectLockMode.init(name:)),
              let until = headers["x-amz-object-lock-retain-until-date"].flatMap(S3Time.parse) else { return nil }
        self.init(mode: mode, until: until)
    }
}

/// A bucket's Object Lock configuration as GetObjectLockConfiguration tells it.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectLockConfiguration.html
public struct ObjectLockConfiguration: Sendable, Equatable {
    /// Whether Object Lock is enabled (once enabled, it cannot be turned off).
    public var enabled: Bool
    /// The bucket's default retention, applied to every new version written without one; nil for none.
    public var defaultRetention: DefaultRetention?

    /// A default retention rule: a mode and a period in days or years.
    public struct DefaultRetention: Sendable, Equatable, CustomStringConvertible {
        /// The mode.
        public var mode: ObjectLockMode?
        /// The period in days, when given in days.
        public var days: Int?
        /// The period in years, when given in years.
        public var years: Int?

        /// `GOVERNANCE for 30 days`.
        public var description: String {
            let period = days.map { "\($0) days" } ?? years.map { "\($0) years" } ?? "no period"
            return "\(mode?.rawValue ?? "no mode") for \(period)"
        }
    }

    /// A configuration from its parts.
    public init(enabled: Bool, defaultRetention: DefaultRetention? = nil) {
        self.enabled = enabled
        self.defaultRetention = defaultRetention
    }

    /// Reads `<ObjectLockConfiguration>`; a `<Rule>` without a mode or period is no default.
    init(xml: XMLTree) {
        enabled = xml.find("ObjectLockEnabled")?.text == "Enabled"
        let rule = xml.find("DefaultRetention")
        let days = rule?.text("Days").flatMap { Int($0) }, years = rule?.text("Years").flatMap { Int($0) }
        let mode = rule?.text("Mode").flatMap(ObjectLockMode.init(name:))
        defaultRetention = (mode != nil || (days ?? 0) > 0 || (years ?? 0) > 0)
            ? DefaultRetention(mode: mode, days: days, years: years) : nil
    }
}
