/// Where and how a report is mailed.
public struct SMTPSettings: Sendable, Equatable {
    /// How the connection is protected.
    public enum Security: String, Sendable, CaseIterable {
        /// `smtps://`: TLS from the first byte; `smtp://`: STARTTLS required, or fail.
        case required
        /// No TLS: only for a relay on this host (loopback), the setting's only use.
        case none
    }

    /// `smtp://HOST[:PORT]` (STARTTLS) or `smtps://HOST[:PORT]` (implicit TLS).
    public var url: String
    /// The envelope and header sender.
    public var from: String
    /// The recipients.
    public var to: [String]
    /// The login, when the server wants one.
    public var user: String?
    /// The password; never printed.
    public var password: String?
    /// Put before every subject.
    public var subjectPrefix: String
    /// TLS policy: required unless the server is on loopback.
    public var security: Security

    /// Settings; `security` defaults to none for a loopback relay and required for anything else.
    public init(url: String, from: String, to: [String], user: String? = nil, password: String? = nil,
                subjectPrefix: String = "[s3backup]", security: Security? = nil) throws {
        guard url.hasPrefix("smtp://") || url.hasPrefix("smtps://") else {
            throw MailError("--smtp-url must start with smtp:// (STARTTLS) or smtps:// (TLS)")
        }
        guard !to.isEmpty else { throw MailError("no recipient: give --mail-to") }
        for address in [from] + to where !SMTPSettings.isAddress(address) {
            throw MailError("\(address.debugDescription) is not an email address (name@domain)")
        }
        self.url = url
        self.from = from
        self.to = to
        self.user = user
        self.password = password
        self.subjectPrefix = subjectPrefix
        let host = url.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first.map { String($0) } ?? ""
        let loopback = host.hasPrefix("127.") || host.hasPrefix("localhost") || host.hasPrefix("[::1]")
        self.security = security ?? (loopback && url.hasPrefix("smtp://") ? .none : .required)
    }

    /// The URL without any `user:password@` part, for messages.
    public var displayURL: String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@"),
              !url[scheme.upperBound..<at].contains("/") else { return url }
        return String(url[..<scheme.upperBound]) + url[url.index(after: at)...]
    }

    /// A plain `local@domain` with no spaces, brackets or line breaks (they would break the SMTP envelope).
    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !text.contains(where: { " <>\r\n\t,;".contains($0) })
    }
}

/// A mail that could not be sent, or settings that cannot work.
public struct MailError: Error, Sendable, CustomStringConvertible {
    /// One line with what to do.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
