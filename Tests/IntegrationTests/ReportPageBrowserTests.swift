@testable import Backup
import Foundation
@testable import Queue
import Testing

/// The HTML report as Chromium reads it: a hostile key is text, and the page's policy stops script that got in anyway.
@Suite("Report page in a browser", .timeLimit(.minutes(10)))
struct ReportPageBrowserTests {
    /// What a handler that ran would leave in the page's title.
    static let marker = "XSS-RAN"
    /// A handler that leaves `marker` in the title, without quotes (the key is shown with Swift's `debugDescription`,
    /// which would escape them).
    static let handler = "document.title=/\(marker)/.source"

    /// A key with U+0600 ARABIC NUMBER SIGN before `<` and before `>` (each one grapheme cluster with it; the `//`
    /// makes the mark after the handler a comment) is shown as text: the page Chromium builds has no img element,
    /// the handler never ran, and the key reads as it is.
    @Test func aHostileKeyIsTextInChromium() async throws {
        let key = "\u{0600}<img src=x onerror=\(ReportPageBrowserTests.handler)//\u{0600}>"
        let dom = try await ReportPageBrowserTests.render(ReportPage.html(ReportPageBrowserTests.report(failing: key)))
        let failures = String(decoding: dom.suffix(400), as: UTF8.self)
        let element = ReportPageBrowserTests.contains(dom, "<img")
        let ran = ReportPageBrowserTests.contains(dom, ReportPageBrowserTests.marker + "</title>")
        let shown = ReportPageBrowserTests.contains(dom, "\u{0600}&lt;img src=x onerror=\(ReportPageBrowserTests.handler)//\u{0600}&gt;")
        #expect(!element, "no img element: \(failures)")
        #expect(!ran, "no script ran")
        #expect(shown, "the key is on the page as text: \(failures)")
    }

    /// Markup spliced into the page by hand, as an escaping bug would let it in, reaches the DOM but does not run:
    /// the Content-Security-Policy blocks inline handlers.
    @Test func thePolicyStopsInjectedScript() async throws {
        let page = ReportPage.html(ReportPageBrowserTests.report(failing: "plain"))
        let body = try #require(page.range(of: "<body>"))
        let injected = "<img id=\"injected\" src=\"x\" onerror=\"\(ReportPageBrowserTests.handler)\">"
        let dom = try await ReportPageBrowserTests.render(page.replacingCharacters(in: body, with: "<body>" + injected))
        let element = ReportPageBrowserTests.contains(dom, "<img id=\"injected\"")
        let ran = ReportPageBrowserTests.contains(dom, ReportPageBrowserTests.marker + "</title>")
        #expect(element, "the spliced element is in the DOM: \(String(decoding: dom.prefix(800), as: UTF8.self))")
        #expect(!ran, "its handler did not run")
    }

    /// A partial run whose one failed object is `key`.
    static func report(failing key: String) -> BackupReport {
        var report = BackupReport(run: 3, source: "s3://primary", backup: "s3://backup", resumed: false, plan: PlanFindings(),
                                  work: TaskOutcome(), tasks: ["dead": 1], deletesRefused: nil, seconds: 1)
        report.failures = [DeadTask(id: 1, run: 3, kind: "copy", attempts: 3, lastError: "AccessDenied", finishedAt: nil,
                                    failures: [DeadTask.Failure(subject: key, error: "AccessDenied")])]
        return report
    }

    /// The DOM headless Chromium builds from `page` (saved to a file of its own), after the page's load event.
    static func render(_ page: String) async throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("s3backup-page-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("report.html")
        try Data(page.utf8).write(to: file)
        let rendered = try await IntegrationTests.run(
            URL(fileURLWithPath: "/usr/bin/chromium"), ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", file.absoluteString],
            environment: isolatedEnvironment(["HOME": directory.path]), timeout: .seconds(90))
        #expect(rendered.status == 0, "chromium: \(rendered.stderr.suffix(500))")
        #expect(contains(rendered.stdout, "</body>"), "chromium printed the DOM")
        return rendered.stdout
    }

    /// Whether `text` occurs in `bytes`, byte for byte (`String.contains` compares grapheme clusters, and a U+0600
    /// before the `<` would hide it).
    static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
