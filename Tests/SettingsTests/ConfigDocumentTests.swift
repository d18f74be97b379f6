import Testing
@testable import Settings

@Suite(.timeLimit(.minutes(1))) struct ConfigDocumentTests {
    private func parse(_ text: String) throws -> ConfigDocument { try ConfigDocument(text: text, path: "s3backup.toml") }

    private func error(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func readsTheSubset() throws {
        let document = try parse("""
            # nightly
            db = "/var/lib/s3backup/queue.db"   # shared

            [run]
            source = "s3://primary"
            'literal key' = 'C:\\path\\no escapes'
            "quoted key" = "tab\\there \\"quoted\\" \\u00e9\\U0001F600 back\\\\slash"
            workers = 4
            big = 1_000_000
            negative = -3
            json = true
            dryrun = false
            mail-to = ["a@example.test", 'b@example.test', ]
            empty = []
            """)
        #expect(document.tables.map(\.name) == ["", "run"])
        #expect(document.tables[0].entries == [ConfigEntry(key: "db", value: .string("/var/lib/s3backup/queue.db"), line: 2)])
        let run = document.tables[1]
        #expect(run.line == 4)
        #expect(run.entries.map(\.value) == [
            .string("s3://primary"), .string("C:\\path\\no escapes"), .string("tab\there \"quoted\" é😀 back\\slash"),
            .integer(4), .integer(1_000_000), .integer(-3), .boolean(true), .boolean(false),
            .array([.string("a@example.test"), .string("b@example.test")]), .array([]),
        ])
        #expect(run.entries.map(\.key) == ["source", "literal key", "quoted key", "workers", "big", "negative", "json",
                                           "dryrun", "mail-to", "empty"])
        #expect(run.entries.map(\.line) == Array(5...14))
    }

    @Test func valuesWriteBackAsTheSameTOML() throws {
        let values: [ConfigValue] = [.string("a \"b\" \\ c\n\u{1}"), .integer(-12), .boolean(true),
                                     .array([.string("x"), .integer(2)])]
        for value in values {
            let document = try parse("key = \(value.toml)")
            #expect(document.tables[0].entries.first?.value == value, "\(value.toml)")
        }
        #expect(ConfigValue.string("\u{1}").toml == "\"\\u0001\"")
    }

    @Test func everyRefusalNamesItsLine() {
        let cases: [(String, String)] = [
            ("[run]\nsource = s3://primary", "line 2: `source = s3://primary`: a string needs quotes, e.g. source = \"s3://primary\""),
            ("\n\nworkers 4", "line 3: expected `=` after the key `workers`"),
            ("[run]\n[run]", "line 2: [run] appears twice (first on line 1)"),
            ("a = 1\na = 2", "line 2: `a` is set twice (first on line 1)"),
            ("a.b = 1", "line 1: dotted keys are not settings s3backup reads"),
            ("[run.mail]", "line 1: nested tables"),
            ("[[run]]", "line 1: arrays of tables"),
            ("a = {b = 1}", "line 1: inline tables"),
            ("a = \"\"\"x\"\"\"", "line 1: multi-line strings"),
            ("a = 1.5", "line 1: `a = 1.5`: a string needs quotes"),
            ("a = 012", "line 1: `a = 012`: a string needs quotes"),
            ("a = \"open", "line 1: a string is not closed"),
            ("a = 'open", "line 1: the string starting `'open` is not closed"),
            ("a = \"\\q\"", "line 1: `\\q` is not a TOML escape"),
            ("a = \"\\u12\"", "line 1: `\\u` needs 4 hex digits"),
            ("a = [1, 2", "line 1: the array of `a` must close on its line"),
            ("a = [[1]]", "line 1: arrays of arrays"),
            ("a = 1 b", "line 1: unexpected `b` after the value of `a`"),
            ("a =", "line 1: `a =` needs a value"),
            ("= 1", "line 1: expected a setting (`name = value`) or a table header (`[command]`)"),
            ("[run] x", "line 1: unexpected `x` after [run]"),
        ]
        for (text, expected) in cases {
            let message = error(text)
            #expect(message.hasPrefix("s3backup.toml ") && message.contains(expected), "\(text): \(message)")
        }
    }

    /// TOML allows no raw control character but tab; a key or a value holding one (an ESC pasted from a terminal,
    /// a lone CR) would reach command lines and mail headers unseen.
    @Test(arguments: [
        ("a = \"red\u{1B}[31m\"", 1, "U+001B", "\\u001B"),
        ("# fine\nb = 'nul\u{0}'", 2, "U+0000", "\\u0000"),
        ("[run]\nworkers = 2\r", 2, "U+000D", "\\u000D"),
        ("[run]\n\n\u{7F}", 3, "U+007F", "\\u007F"),
        ("a = 1 # a bell \u{7}", 1, "U+0007", "\\u0007"),
        ("\"key\u{8}\" = 1", 1, "U+0008", "\\u0008"),
    ])
    func rawControlCharactersAreRefusedWithTheirLine(text: String, line: Int, named: String, escape: String) {
        let message = error(text)
        #expect(message.hasPrefix("s3backup.toml line \(line): holds the control character \(named)"), "\(message)")
        #expect(message.contains("write it as the escape \(escape) in a \"basic string\""), "\(message)")
        #expect(!message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "the message itself is one clean line")
    }

    @Test func tabsAreSpaceOrCommentButNeverRawInAString() throws {
        let document = try parse("\t[run]\t# a\ttab\n\tworkers\t=\t2\t# two\n")
        #expect(document.tables[1].entries == [ConfigEntry(key: "workers", value: .integer(2), line: 2)])
        for text in ["a = \"x\ty\"", "a = 'x\ty'", "\"a\tb\" = 1", "a = [\"x\", \"\t\"]"] {
            #expect(error(text) == "s3backup.toml line 1: a raw tab inside a string; write it as \\t in a \"basic string\"",
                    "\(text)")
        }
        #expect(try parse("a = \"x\\ty\"").tables[0].entries.first?.value == .string("x\ty"), "the escape is the way")
    }

    @Test func windowsLineEndingsAndCommentsAreFine() throws {
        let document = try parse("[run]\r\nworkers = 2 # two\r\n# all\r\n")
        #expect(document.tables[1].entries == [ConfigEntry(key: "workers", value: .integer(2), line: 2)])
    }
}
