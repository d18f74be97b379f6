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
    return await mailEach(reports, settings: settings, runner: runner)
}

/// Mails each report through `settings` (none without); returns whether every mail went out.
func mailEach(_ reports: [BackupReport], settings: SMTPSettings?, runner: BackupRunner) async -> Bool {
    guard let settings else { return true }
    let mailer = ReportMailer(settings: settings, log: runner.log)
    var mailed = true
    for report in reports { mailed = await mailer.report(report, logFile: runner.logFile) && mailed }
    return mailed
}
