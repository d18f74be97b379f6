import CCurl
import Foundation

/// Sends plain-text mail over SMTP with libcurl: STARTTLS or SMTPS with verification, optional login.
/// https://curl.se/libcurl/c/smtp-tls.html
public enum Mailer {
    /// Sends `subject` and `body` (lines of text) to the recipients of `settings`. Blocks: call it off the
    /// cooperative pool (`send(…) async` does).
    public static func sendBlocking(subject: String, body: String, settings: SMTPSettings, date: Date = Date()) throws {
        let message = Array(render(subject: "\(settings.subjectPrefix) \(subject)", body: body, settings: settings, date: date).utf8)
        // libcurl's global state before the first handle, once per process whichever module asks first (shim.h).
        // https://curl.se/libcurl/c/curl_global_init.html
        let initialised = s3b_global_init()
        guard initialised == CURLE_OK else {
            throw MailError("cannot start libcurl: " + String(cString: curl_easy_strerror(initialised)))
        }
        guard let handle = curl_easy_init() else { throw MailError("cannot start libcurl") }
        defer { curl_easy_cleanup(handle) }
        var recipients: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(recipients) }
        for address in settings.to { recipients = curl_slist_append(recipients, "<\(address)>") }
        let source = MessageSource(message)
        let context = Unmanaged.passUnretained(source).toOpaque()
        var code = s3b_setopt_string(handle, CURLOPT_URL, settings.url)
        code = code == CURLE_OK ? s3b_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(settings.from)>") : code
        code = code == CURLE_OK ? s3b_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients) : code
        code = code == CURLE_OK ? s3b_setopt_long(handle, CURLOPT_UPLOAD, 1) : code
        code = code == CURLE_OK ? s3b_setopt_data_callback(handle, CURLOPT_READFUNCTION, readMessage) : code
        code = code == CURLE_OK ? s3b_setopt_pointer(handle, CURLOPT_READDATA, context) : code
        code = code == CURLE_OK ? s3b_setopt_long(handle, CURLOPT_NOSIGNAL, 1) : code
        code = code == CURLE_OK ? s3b_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, 10) : code
        code = code == CURLE_OK ? s3b_setopt_long(handle, CURLOPT_TIMEOUT, 60) : code
        // STARTTLS must succeed or the mail is not sent: CURLUSESSL_TRY would continue in clear.
        if code == CURLE_OK, settings.security == .required {
            code = s3b_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        }
        if code == CURLE_OK, let user = settings.user {
            code = s3b_setopt_string(handle, CURLOPT_USERNAME, user)
            if code == CURLE_OK, let password = settings.password { code = s3b_setopt_string(handle, CURLOPT_PASSWORD, password) }
        }
        if code == CURLE_OK { code = curl_easy_perform(handle) }
        guard code == CURLE_OK else {
            var status = 0
            _ = s3b_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            throw MailError("mailing the report to \(settings.to.joined(separator: ", ")) via \(settings.url) failed: "
                + String(cString: curl_easy_strerror(code)) + (status > 0 ? " (server answered \(status))" : "")
                + "; check --smtp-url, the credentials and the recipients")
        }
    }

    /// Sends on a thread of its own, so the caller's cooperative thread never blocks on the network.
    public static func send(subject: String, body: String, settings: SMTPSettings) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread {
                continuation.resume(with: Result { try sendBlocking(subject: subject, body: body, settings: settings) })
            }.start()
        }
    }

    /// An RFC 5322 message: headers, a blank line, the body, CRLF line ends; a non-ASCII subject as an RFC 2047
    /// encoded word. libcurl does the SMTP dot-stuffing.
    static func render(subject: String, body: String, settings: SMTPSettings, date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let encodedSubject = subject.allSatisfy(\.isASCII)
            ? subject : "=?UTF-8?B?\(Data(subject.utf8).base64EncodedString())?="
        let domain = settings.from.split(separator: "@").last.map(String.init) ?? "localhost"
        let headers = [
            "Date: \(formatter.string(from: date))",
            "From: \(settings.from)",
            "To: \(settings.to.joined(separator: ", "))",
            "Subject: \(encodedSubject)",
            "Message-ID: <\(UUID().uuidString.lowercased())@\(domain)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        ]
        let lines = body.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        return (headers + [""] + lines.map(String.init)).joined(separator: "\r\n") + "\r\n"
    }
}

/// The message bytes libcurl reads during one send.
private final class MessageSource {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

private let readMessage: s3b_data_callback = { buffer, size, count, pointer in
    let source = Unmanaged<MessageSource>.fromOpaque(pointer!).takeUnretainedValue()
    let n = min(size * count, source.bytes.count - source.offset)
    source.bytes.withUnsafeBytes { bytes in
        UnsafeMutableRawPointer(buffer!).copyMemory(from: bytes.baseAddress! + source.offset, byteCount: n)
    }
    source.offset += n
    return n
}
