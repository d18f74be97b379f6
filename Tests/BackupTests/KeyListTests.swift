@testable import Backup
import Testing

@Suite("restore --keys-from: the file's lines, byte for byte", .timeLimit(.minutes(1)))
struct KeyListTests {
    private func keys(_ text: String, exact: Bool = false) throws -> [String] {
        try KeyList(bytes: Array(text.utf8), path: "keys.txt", exact: exact).keys
    }

    private func problem(_ text: String, exact: Bool = false) -> KeyListError.Problem? {
        #expect(throws: KeyListError.self) { try keys(text, exact: exact) }
        do { _ = try keys(text, exact: exact) } catch let error as KeyListError { return error.problem } catch {}
        return nil
    }

    /// Nothing is trimmed or normalised: spaces, tabs, NFC and NFD forms stay as written; empty lines and repeats go.
    @Test(arguments: [
        ("a\nb\n", ["a", "b"]),
        ("a\nb", ["a", "b"]),
        ("\n\na\n\n", ["a"]),
        (" a \n\tb\n", [" a ", "\tb"]),
        ("a\na\nb\na\n", ["a", "b"]),
        ("caf\u{E9}\ncafe\u{301}\n", ["caf\u{E9}", "cafe\u{301}"]),
        ("carriage\rinside\n", ["carriage\rinside"]),
    ])
    func linesAreKeys(text: String, expected: [String]) throws {
        let got = try keys(text)
        #expect(got.map { Array($0.utf8) } == expected.map { Array($0.utf8) })
    }

    /// A carriage return before a line break is refused, on every line or on some (today's silent "0 to copy"),
    /// with the line numbers and what to do.
    @Test(arguments: [
        ("a\r\nb\r\n", [1, 2], 0),
        ("a\nb\r\nc\n", [2], 0),
        ("a\nb\r", [2], 0),
        ("\r\n", [1], 0),
        ((1...9).map { "k\($0)\r\n" }.joined(), [1, 2, 3, 4, 5], 4),
    ])
    func windowsLineEndsAreRefused(text: String, lines: [Int], more: Int) throws {
        #expect(problem(text) == .carriageReturns(lines: lines, more: more))
    }

    @Test func theRefusalSaysWhatToDo() {
        let error = KeyListError(path: "keys.txt", problem: .carriageReturns(lines: [2, 5], more: 3))
        #expect(error.description.contains("lines 2, 5 and 3 more end in a carriage return"))
        #expect(error.description.contains("dos2unix keys.txt"))
        #expect(error.description.contains("--exact-keys"))
        #expect(KeyListError(path: "k", problem: .carriageReturns(lines: [7], more: 0)).description.contains("line 7 ends"))
    }

    /// With --exact-keys a line is its key whatever it ends or begins with.
    @Test func exactKeysKeepCarriageReturnsAndMarks() throws {
        #expect(try keys("a\r\nb\n", exact: true).map { Array($0.utf8) } == [Array("a\r".utf8), Array("b".utf8)])
        #expect(try keys("\u{FEFF}a\n", exact: true) == ["\u{FEFF}a"])
    }

    @Test func otherMistakesAreRefused() {
        #expect(problem("\u{FEFF}a\nb\n") == .byteOrderMark)
        #expect(problem("") == .empty)
        #expect(problem("\n\n") == .empty)
        #expect(throws: KeyListError.self) { try KeyList(bytes: Array("a\n".utf8) + [0xFF, 0x0A], path: "k", exact: false) }
        #expect(throws: KeyListError.self) { try KeyList.read(path: "/nonexistent/keys.txt", exact: false) }
    }
}
