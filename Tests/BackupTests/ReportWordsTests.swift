@testable import Backup
import Foundation
import Testing

/// The words of reports: one unit system for sizes, and each side called by its name in the run's direction.
@Suite("Report words", .timeLimit(.minutes(1)))
struct ReportWordsTests {
    @Test(arguments: [
        (Int64(0), "0 bytes"), (1, "1 byte"), (1_023, "1023 bytes"), (1_024, "1.0 KiB"), (1_536, "1.5 KiB"),
        (13_107_200, "12.5 MiB"),
        // 1,048,575 bytes is 1023.999 KiB: rounded to a tenth it is a whole MiB.
        (1_048_575, "1.0 MiB"), (1_048_576, "1.0 MiB"), (5 << 30, "5.0 GiB"), (10 << 40, "10.0 TiB"),
        (Int64.max, "8.0 EiB"),
    ])
    func sizesAreInIECUnits(bytes: Int64, expected: String) {
        #expect(ByteCount.text(bytes) == expected)
    }

    @Test func ratesUseTheSameUnits() {
        #expect(ByteCount.rate(0) == "0 bytes/s")
        #expect(ByteCount.rate(1_000.4) == "1000 bytes/s")
        #expect(ByteCount.rate(1.5 * 1_048_576) == "1.5 MiB/s")
    }

    /// A run that found 3 new and 2 changed objects (12.5 MiB to copy) and copied one multipart object.
    static func report(kind: String) -> BackupReport {
        var findings = PlanFindings()
        findings.sourceObjects = 10
        findings.sourceBytes = 20 << 20
        findings.backupObjects = 8
        findings.missing = 3
        findings.changed = 2
        findings.copyBytes = 13_107_200
        findings.same = 5
        findings.extra = 1
        var work = TaskOutcome()
        work.copied = 5
        work.copiedBytes = 13_107_200
        work.multipart = 1
        let (from, to) = kind == "restore" ? ("s3://bak/", "s3://src/") : ("s3://src/", "s3://bak/")
        var report = BackupReport(run: 3, source: from, backup: to, resumed: false, plan: findings, work: work,
                                  tasks: ["succeeded": 2], deletesRefused: nil, seconds: 4)
        report.kind = kind
        report.verification = BackupReport.Verification(findings, deletesRefused: false)
        return report
    }

    @Test func aBackupReportSaysWhatItWillCopyAndInWhichUnits() {
        let text = Self.report(kind: "backup").text
        #expect(text.hasPrefix("run 3: backup s3://src/ → s3://bak/ in 4.0 s: "), "\(text)")
        #expect(text.contains("  listed: primary 10 objects (20.0 MiB), backup 8 objects (0 bytes)"), "\(text)")
        #expect(text.contains("  planned: 5 to copy (12.5 MiB: 3 not in the backup, 2 different), 5 unchanged, 1 to delete"), "\(text)")
        #expect(text.contains("1 multipart in the primary's part layout"), "\(text)")
        #expect(text.contains("delete when only in the backup (1)"), "\(text)")
        #expect(text.contains("3.1 MiB/s"), "12.5 MiB in 4 s: \(text)")
        #expect(text.contains("written to the primary since the run began"), "\(text)")
        for wrong in ["KB", " MB", "Zero", "part for part", "source "] { #expect(!text.contains(wrong), "\(wrong): \(text)") }
    }

    /// A restore copies from the backup to the primary, and its report says so in every line that names a side.
    @Test func aRestoreReportCallsEachSideByItsName() {
        let report = Self.report(kind: "restore")
        let text = report.text
        #expect(text.hasPrefix("run 3: restore s3://bak/ → s3://src/ in 4.0 s: "), "\(text)")
        #expect(text.contains("  listed: backup 10 objects (20.0 MiB), primary 8 objects (0 bytes)"), "\(text)")
        #expect(text.contains("3 not in the primary, 2 different"), "\(text)")
        #expect(text.contains("1 multipart in the backup's part layout"), "\(text)")
        #expect(text.contains("delete when only in the primary (1)"), "\(text)")
        #expect(text.contains("now: backup 10 objects (20.0 MiB), primary 8 objects (0 bytes)"), "\(text)")
        #expect(text.contains("extra in the primary; 0 written to the backup since the run began"), "\(text)")
        let page = ReportPage.html(report)
        for words in ["Restore run 3", "Listed in the backup</td><td>10 objects, 20.0 MiB", "Listed in the primary</td><td>8 objects, 0 bytes",
                      "The backup and the primary now", "1 only in the primary", "4.0 s"] {
            #expect(page.contains(words), "the page says \(words.debugDescription)")
        }
        #expect(!page.contains("Backup run"))
    }

    /// Under Object Lock the report says what deletes mean (markers over versions that stay locked) and counts the
    /// locks extended; without a lock, or with nothing deleted or extended, it says nothing of locks.
    @Test func underObjectLockDeletesSayTheirVersionsStayLocked() {
        var report = Self.report(kind: "backup")
        report.work.deleted = 4
        #expect(!report.text.contains("object lock"), "no policy, no lock line")
        report.lock = LockPolicy(mode: .compliance, days: 90)
        report.work.locksExtended = 12
        let line = "object lock: 12 locks of versions kept unchanged set or extended (never shortened); the 4 objects deleted are delete "
            + "markers: their versions stay, locked (COMPLIANCE) until their retain-until dates, at least 90 days from now"
        #expect(report.text.contains("  " + line), "\(report.text)")
        #expect(ReportPage.html(report).contains("Object Lock</td><td>12 locks"), "the page says it too")
        report.work.deleted = 0
        report.work.locksExtended = 0
        #expect(report.lockLine == nil)
    }
}
