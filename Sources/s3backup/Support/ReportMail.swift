import Backup
import Foundation
import Mail

/// The JSON the commands print: pretty, sorted, snake_case keys, ISO 8601 times.
let documentEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.dateEncodingStrategy = .iso8601
    return encoder
}()

/// Prints the reports of `run` or `restore` (text or JSON) and mails each; returns whether every mail went out.
func publish(_ reports: [BackupReport], json: Bool, mail settings: SMTPSettings?, runner: BackupRunner) async throws -> Bool {
    if json {
        print(String(decoding: try documentEncoder.encode(reports), as: UTF8.self))
    } else {
        print(reports.map(\.text).joined(separator: "\n"))
    }
    var mailed = true
    for report in reports {
        mailed = await mailReport(report, settings: settings, logFile: runner.logFile, log: runner.log) && mailed
    }
    return mailed
}

/// Mails a run's report; returns whether it went out (a failure is logged, never thrown: the run's result
/// stands either way).
func mailReport(_ report: BackupReport, settings: SMTPSettings?, logFile: String?, log: @Sendable (String) -> Void) async -> Bool {
    guard let settings else { return true }
    var body = report.text
    if report.verdict != .success, let logFile,
       let text = try? String(contentsOfFile: logFile, encoding: .utf8) {
        body += "\n\nThe last lines of the log \(logFile):\n" + text.split(separator: "\n").suffix(30).joined(separator: "\n")
    }
    let subject = "\(report.verdict == .success ? "OK" : report.verdict.rawValue.uppercased()): \(report.title) (run \(report.run))"
    do {
        try await Mailer.send(subject: subject, body: body, settings: settings)
        log("report of run \(report.run) mailed to \(settings.to.joined(separator: ", "))")
        return true
    } catch {
        log("\(error)")
        return false
    }
}
