@testable import Backup
import Foundation
@testable import Queue
import Testing

/// The HTML report shows whatever the buckets hold (keys, prefixes, error texts quoting keys) as text, never as markup.
@Suite("Report page", .timeLimit(.minutes(1)))
struct ReportPageTests {
    /// Keys built to slip markup past an escaper that walks grapheme clusters (Swift `Character`s) instead of
    /// Unicode scalars: a prepended-concatenation mark (U+0600, U+110BD, U+0D4E) forms one cluster with the `<`,
    /// `&`, `"`, `'` or `>` after it, a combining mark or ZWJ with the one before it; the rest are plain markup.
    /// https://www.unicode.org/reports/tr29/#Grapheme_Cluster_Boundary_Rules (GB9, GB9b)
    static let hostile: [String] = [
        "\u{0600}<img src=x onerror=alert(1)>",
        "\u{110BD}<img src=x onerror=alert(2)>",
        "\u{0D4E}<script>alert(3)</script>",
        "<\u{0301}img src=x onerror=alert(4)>",
        "x\u{0600}<svg onload=alert(5)>",
        "\u{0600}&lt;b&gt;entity\u{0600}&amp;",
        "a\"\u{0301} onmouseover=\"alert(6)\" x=\"",
        "\u{0600}\" autofocus onfocus=\"alert(7)",
        "'\u{0301} onclick='alert(8)",
        "\u{0600}>\u{0600}</td></tr></table><img src=x onerror=alert(9)>",
        "zwj\u{200D}<b>bold</b>\u{200D}",
        "\u{1F1E6}<i>flag</i>",
        "\u{2028}line\u{2029}separators</title><img src=x onerror=alert(10)>",
    ]

    /// Each character HTML gives a meaning, glued to a mark into one `Character`, escaped to exactly these bytes
    /// (compared as UTF-8, so a canonically equivalent but different output cannot pass).
    @Test(arguments: [
        ("\u{0600}<", "\u{0600}&lt;"),
        ("\u{0600}&", "\u{0600}&amp;"),
        ("\u{0600}\"", "\u{0600}&quot;"),
        ("\u{0600}'", "\u{0600}&#39;"),
        ("\u{0600}>", "\u{0600}&gt;"),
        ("<\u{0301}", "&lt;\u{0301}"),
        ("\"\u{0301}", "&quot;\u{0301}"),
        ("'\u{0301}", "&#39;\u{0301}"),
        ("&\u{200D}", "&amp;\u{200D}"),
        ("\u{110BD}<\u{0D4E}>", "\u{110BD}&lt;\u{0D4E}&gt;"),
        ("caf\u{E9} cafe\u{301} 日本語 😀", "caf\u{E9} cafe\u{301} 日本語 😀"),
    ])
    func escapesEveryScalar(input: String, expected: String) {
        #expect(Array(ReportPage.escape(input).utf8) == Array(expected.utf8))
    }

    /// A page for a run whose keys, prefixes, errors and buckets are hostile has exactly the elements and attributes
    /// of the page for the same run with harmless names: nothing in the data became markup. And every hostile
    /// string is on the page as text, byte for byte once its character references are read.
    @Test func hostileNamesStayText() throws {
        let page = Array(ReportPage.html(ReportPageTests.report(ReportPageTests.hostile)).utf8)
        let harmless = Array(ReportPage.html(ReportPageTests.report(ReportPageTests.hostile.indices.map { "name-\($0)" })).utf8)
        let markup = Markup(page), plain = Markup(harmless)
        let sameMarkup = markup.tags == plain.tags
        #expect(sameMarkup, "markup from the data: \(markup.tags.filter { !plain.tags.contains($0) }.map { String(decoding: $0, as: UTF8.self) })")
        #expect(!markup.tags.contains { $0.starts(with: "<img".utf8) || $0.starts(with: "<script".utf8) || $0.starts(with: "<b>".utf8) })
        let text = Markup.decode(markup.text)
        for name in ReportPageTests.hostile {
            let shown = Markup.find(Array(name.utf8), in: text)
            #expect(shown, "\(name.debugDescription) shows as text")
        }
    }

    /// The page declares a Content-Security-Policy before anything it governs: no script, no fetch of any kind, only
    /// its own inline style. The page needs nothing else: it has no script and no external asset.
    @Test func pageForbidsScriptAndFetches() throws {
        let markup = Markup(Array(ReportPage.html(ReportPageTests.report(["plain"])).utf8))
        let policy = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            + "base-uri 'none'; form-action 'none'\">"
        let names = markup.tags.map { String(decoding: $0.prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: ">") }, as: UTF8.self) }
        #expect(Array(names.prefix(5)) == ["<!DOCTYPE", "<html", "<head", "<meta", "<meta"])
        #expect(markup.tags.firstIndex(of: Array(policy.utf8)) == 4, "the policy comes right after the charset")
        #expect(!names.contains("<script") && !names.contains("<link") && !names.contains("<img"))
        #expect(!markup.tags.contains { Markup.find(Array(" on".utf8), in: $0) || Markup.find(Array("href".utf8), in: $0) })
    }

    /// A failed run whose every name is one of `names`, in turn: buckets, a refusal, prefixes, keys, errors.
    static func report(_ names: [String]) -> BackupReport {
        var findings = PlanFindings()
        findings.missing = 3
        var report = BackupReport(run: 7, source: "s3://\(names[0 % names.count])", backup: "s3://\(names[1 % names.count])",
                                  resumed: false, plan: findings, work: TaskOutcome(), tasks: ["dead": 1, "succeeded": 2],
                                  deletesRefused: names[2 % names.count], seconds: 12.5)
        report.startedAt = Date(timeIntervalSince1970: 1_800_000_000)
        report.timeline = [BackupReport.TimelinePoint(at: Date(timeIntervalSince1970: 1_800_000_005), objects: 2, bytes: 20)]
        report.units = names.enumerated().map { index, name in
            var unit = PlanFindings()
            unit.missing = index + 1
            return BackupReport.UnitWork(unit: (index % 2 == 0 ? "deep:" : "flat:") + name, findings: unit)
        }
        report.failures = [DeadTask(id: 4, run: 7, kind: "copy", attempts: 3, lastError: names[3 % names.count], finishedAt: nil,
                                    failures: names.map { DeadTask.Failure(subject: $0, error: "NoSuchKey for \($0)") })]
        return report
    }
}

/// A page cut into its tags (each from a `<` to the next `>`, as bytes) and its text (everything else), by UTF-8
/// bytes: an HTML tokenizer reads code points, so this is what a browser would see as markup.
/// https://html.spec.whatwg.org/multipage/parsing.html#tokenization
struct Markup {
    /// Every tag, in order, `<` and `>` included.
    var tags: [[UInt8]] = []
    /// The bytes between the tags, run together.
    var text: [UInt8] = []

    /// `page` cut up.

    init(_ page: [UInt8]) {
        var index = 0
        while index < page.count {
            if page[index] == UInt8(ascii: "<"), let end = page[index...].firstIndex(of: UInt8(ascii: ">")) {
                tags.append(Array(page[index...end]))
                index = end + 1
            } else {
                text.append(page[index])
                index += 1
            }
        }
    }

    /// `text` with the character references the page uses read back.
    static func decode(_ text: [UInt8]) -> [UInt8] {
        let references: [String: String] = ["&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'"]
        var out: [UInt8] = []
        var index = 0
        outer: while index < text.count {
            if text[index] == UInt8(ascii: "&") {
                for (reference, character) in references where text[index...].starts(with: reference.utf8) {
                    out += character.utf8
                    index += reference.utf8.count
                    continue outer
                }
            }
            out.append(text[index])
            index += 1
        }
        return out
    }

    /// Whether `needle` occurs in `haystack`, byte for byte.
    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
