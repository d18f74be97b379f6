import ArgumentParser
import Foundation
import Mail
import Settings

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
        // A line break would end the Subject header and start one of the caller's choosing (Bcc:, …).
        if let control = subjectPrefix.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw ValidationError("--mail-subject-prefix \(subjectPrefix.debugDescription) holds the control character "
                + "U+\(String(format: "%04X", control.value)); a subject is one line of text: remove it")
        }
        guard !to.isEmpty else { return }
        guard url != nil else { throw ValidationError("--mail-to needs --smtp-url") }
        guard from != nil else { throw ValidationError("--mail-to needs --mail-from") }
    }

    /// The settings, or nil when no mail was asked for.
    func settings(environment: [String: String]) throws -> SMTPSettings? {
        guard !to.isEmpty, let url, let from else { return nil }
        var password = environment["S3BACKUP_SMTP_PASSWORD"]
        if let passwordFile {
            let file: TrustedFile
            do {
                file = try TrustedFile(path: passwordFile, what: "the --smtp-password-file",
                                       hint: "check --smtp-password-file")
            } catch {
                throw MailError("\(error)")
            }
            guard let text = String(data: file.data, encoding: .utf8) else {
                throw MailError("the --smtp-password-file \(passwordFile) is not UTF-8 text")
            }
            password = text.trimmingCharacters(in: .newlines)
            if file.readableByOthers {
                StandardError.say("warning: the --smtp-password-file \(passwordFile) holds the SMTP password and every "
                    + "user can read it: chmod o-r \(passwordFile)")
            }
        }
        return try SMTPSettings(url: url, from: from, to: to, user: user, password: password, subjectPrefix: subjectPrefix)
    }
}
