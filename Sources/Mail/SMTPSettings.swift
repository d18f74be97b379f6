import Foundation

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
        // A line break in the subject would end its header and start another (Bcc:, …) of the sender's choosing.
        guard !subjectPrefix.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw MailError("the subject prefix \(subjectPrefix.debugDescription) holds a control character; a subject "
                + "is one line of text: remove it from --mail-subject-prefix")
        }
        self.url = url
        self.from = from
        self.to = to
        self.user = user
        self.password = password
        self.subjectPrefix = subjectPrefix
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty,
              components.user == nil, components.password == nil else {
            throw MailError("--smtp-url must be smtp://HOST[:PORT] or smtps://HOST[:PORT], without user or password "
                + "(use --smtp-user and S3BACKUP_SMTP_PASSWORD)")
        }
        // Plain SMTP only to this very host: exactly localhost, ::1, or an IPv4 address in 127/8.
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        let loopback = host == "localhost" || host == "::1" || host == "[::1]"
            || (octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil })
        self.security = security ?? (loopback && url.hasPrefix("smtp://") ? .none : .required)
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
