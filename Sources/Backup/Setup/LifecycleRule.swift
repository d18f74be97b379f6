import Foundation
import S3

/// One lifecycle rule in the AWS CLI's JSON form (the form of ops/lifecycle-policy.json), and its XML.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRule.html
public struct LifecycleRule: Codable, Sendable, Equatable {
    /// The rule's id: how rules are matched between the policy and a bucket.
    public var id: String
    /// `Enabled` or `Disabled`.
    public var status: String
    /// The key prefix it applies to ("" for every object).
    public var prefix: String
    /// Move current versions to a storage class after so many days; by days, since a rule's transitions have no
    /// order of their own and providers return them in different ones (RGW's is not the order written).
    public var transitions: [Transition]
    /// Expire current versions after so many days.
    public var expirationDays: Int?
    /// Remove noncurrent versions so many days after they stopped being current.
    public var noncurrentDays: Int?
    /// Abort multipart uploads left incomplete for so many days.
    public var abortIncompleteDays: Int?

    /// A transition.
    public struct Transition: Codable, Sendable, Equatable {
        /// Days after creation.
        public var days: Int
        /// Target storage class.
        public var storageClass: String

        /// By days, then storage class.
        static func ordered(_ transitions: [Transition]) -> [Transition] {
            transitions.sorted { ($0.days, $0.storageClass) < ($1.days, $1.storageClass) }
        }
    }

    /// The fields this model carries; a policy using any other (a tag or size filter, a date, noncurrent
    /// transitions) is refused rather than applied without it, which could widen a rule to the whole bucket.
    static let knownFields: [String: Set<String>] = [
        "rule": ["ID", "Status", "Filter", "Prefix", "Transitions", "Expiration", "NoncurrentVersionExpiration",
                 "AbortIncompleteMultipartUpload"],
        "Filter": ["Prefix"], "Transitions": ["Days", "StorageClass"], "Expiration": ["Days"],
        "NoncurrentVersionExpiration": ["NoncurrentDays"], "AbortIncompleteMultipartUpload": ["DaysAfterInitiation"],
    ]

    /// Reads a policy file: `{"Rules": [...]}`.
    public static func policy(_ json: Data, source: String) throws -> [LifecycleRule] {
        let rules: [LifecycleRule]
        do {
            rules = try JSONDecoder().decode(PolicyDocument.self, from: json).Rules.map(LifecycleRule.init)
        } catch {
            throw SetupError("\(source) is not a lifecycle policy in the AWS CLI's JSON form ({\"Rules\": [...]}): \(error)")
        }
        let document = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any]
        for rule in document?["Rules"] as? [[String: Any]] ?? [] {
            try check(rule, against: "rule", source: source)
            for (field, value) in rule {
                for element in (value as? [[String: Any]]) ?? ((value as? [String: Any]).map { [$0] } ?? []) {
                    try check(element, against: field, source: source)
                }
            }
        }
        return rules
    }

    private static func check(_ object: [String: Any], against field: String, source: String) throws {
        guard let known = knownFields[field] else { return }
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw SetupError("\(source): \(field == "rule" ? "a rule" : field) uses \(unknown.debugDescription), which s3backup "
                + "does not apply; remove it, or apply this policy with the AWS CLI")
        }
    }

    /// The rule as S3's XML `<Rule>` element.
    public var xml: String {
        var out = "<Rule><ID>\(XMLTree.escape(id))</ID><Filter><Prefix>\(XMLTree.escape(prefix))</Prefix></Filter>"
            + "<Status>\(XMLTree.escape(status))</Status>"
        for transition in transitions {
            out += "<Transition><Days>\(transition.days)</Days><StorageClass>\(XMLTree.escape(transition.storageClass))</StorageClass></Transition>"
        }
        if let expirationDays { out += "<Expiration><Days>\(expirationDays)</Days></Expiration>" }
        if let noncurrentDays { out += "<NoncurrentVersionExpiration><NoncurrentDays>\(noncurrentDays)</NoncurrentDays></NoncurrentVersionExpiration>" }
        if let abortIncompleteDays {
            out += "<AbortIncompleteMultipartUpload><DaysAfterInitiation>\(abortIncompleteDays)</DaysAfterInitiation></AbortIncompleteMultipartUpload>"
        }
        return out + "</Rule>"
    }

    /// Reads a `<Rule>` element as S3 returns it; nil for what this model cannot represent (tag or size filters),
    /// which setup then keeps untouched.
    init?(_ element: XMLTree) {
        guard element.child("Filter")?.children.allSatisfy({ $0.name == "Prefix" }) ?? true else { return nil }
        id = element.text("ID") ?? ""
        status = element.text("Status") ?? ""
        prefix = element.find("Prefix")?.text ?? ""
        transitions = Transition.ordered(element.children("Transition").map {
            Transition(days: Int($0.text("Days") ?? "") ?? 0, storageClass: $0.text("StorageClass") ?? "")
        })
        expirationDays = element.child("Expiration")?.text("Days").flatMap { Int($0) }
        noncurrentDays = element.child("NoncurrentVersionExpiration")?.text("NoncurrentDays").flatMap { Int($0) }
        abortIncompleteDays = element.child("AbortIncompleteMultipartUpload")?.text("DaysAfterInitiation").flatMap { Int($0) }
    }

    private init(_ rule: PolicyDocument.Rule) {
        id = rule.ID
        status = rule.Status
        prefix = rule.Filter?.Prefix ?? rule.Prefix ?? ""
        transitions = Transition.ordered((rule.Transitions ?? []).map { Transition(days: $0.Days, storageClass: $0.StorageClass) })
        expirationDays = rule.Expiration?.Days
        noncurrentDays = rule.NoncurrentVersionExpiration?.NoncurrentDays
        abortIncompleteDays = rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation
    }
}

/// The AWS CLI's lifecycle JSON, field for field.
private struct PolicyDocument: Decodable {
    struct Rule: Decodable {
        struct Filter: Decodable { var Prefix: String? }
        struct Transition: Decodable { var Days: Int; var StorageClass: String }
        struct Expiration: Decodable { var Days: Int? }
        struct Noncurrent: Decodable { var NoncurrentDays: Int }
        struct Abort: Decodable { var DaysAfterInitiation: Int }
        var ID: String
        var Status: String
        var Filter: Filter?
        var Prefix: String?
        var Transitions: [Transition]?
        var Expiration: Expiration?
        var NoncurrentVersionExpiration: Noncurrent?
        var AbortIncompleteMultipartUpload: Abort?
    }
    var Rules: [Rule]
}

/// A setup that cannot be done as asked.
public struct SetupError: Error, Sendable, CustomStringConvertible {
    /// One line with what to do.
    public let description: String
    init(_ description: String) { self.description = description }
}
