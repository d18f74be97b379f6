import ArgumentParser
import Foundation
import Mail

/// Who is told how a run went, and through which server. The password comes from S3BACKUP_SMTP_PASSWORD or a
/// file, never from the command line (where `ps` would show it).
struct MailOptions: ParsableArguments {
    @Option(name: .customLong("mail-to"), help: "Send the report to this address (repeatable).") var to: [String] = []
    @Option(name: .customLong("mail-from"), help: "The sender address.") var from: String?
    @Option(name: .customLong("smtp-url"), help: "smtp://HOST:PORT (STARTTLS required off loopback) or smtps://HOST:PORT.")
    var url: String?
    @Option(name: .customLong("smtp-user"), help: "Login for the SMTP server; the password from S3BACKUP_SMTP_PASSWORD or --smtp-password-file.")
    var user: String?
    @Option(name: .customLong("smtp-password-file"), help: "A file holding the SMTP password.") var passwordFile: String?
    @Option(name: .customLong("mail-subject-prefix"), help: "Put before every subject.") var subjectPrefix = "[s3backup]"

    func validate() throws {
        guard !to.isEmpty else { return }
        guard url != nil else { throw ValidationError("--mail-to needs --smtp-url") }
        guard from != nil else { throw ValidationError("--mail-to needs --mail-from") }
    }

    /// The settings, or nil when no mail was asked for.
    func settings(environment: [String: String]) throws -> SMTPSettings? {
        guard !to.isEmpty, let url, let from else { return nil }
        var password = environment["S3BACKUP_SMTP_PASSWORD"]
        if let passwordFile {
            do {
                password = try String(contentsOfFile: passwordFile, encoding: .utf8).trimmingCharacters(in: .newlines)
            } catch {
                throw MailError("cannot read --smtp-password-file \(passwordFile): \(error.localizedDescription)")
            }
        }
        return try SMTPSettings(url: url, from: from, to: to, user: user, password: password, subjectPrefix: subjectPrefix)
    }
}
