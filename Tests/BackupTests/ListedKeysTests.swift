import Backup
import Testing

@Suite("restore --keys-from: every listed key accounted for", .timeLimit(.minutes(1)))
struct ListedKeysTests {
    private let list = try! KeyList(bytes: Array("copy\nsame\nprimary-only\nnowhere\ncafe\u{301}\n".utf8), path: "keys.txt", exact: false)

    /// Copied, unchanged or deleted; anything else is not in the backup, in the file's order. A key only in the primary
    /// is not in the backup unless the restore deletes it.
    @Test(arguments: [
        (false, 1, 0, ["primary-only", "nowhere", "cafe\u{301}"]),
        (true, 1, 1, ["nowhere", "cafe\u{301}"]),
    ])
    func theRule(deletes: Bool, unchanged: Int, deleted: Int, notInBackup: [String]) {
        // The NFC form is not the listed NFD key.
        let outcome = ListedKeys(list: list, asOf: nil, copies: ["copy"], onlyInPrimary: ["primary-only"], deletes: deletes,
                                 unchanged: ["same", "caf\u{E9}"])
        #expect(outcome.listed == 5)
        #expect(outcome.toCopy == 1)
        #expect(outcome.unchanged == unchanged)
        #expect(outcome.toDelete == deleted)
        #expect(outcome.notInBackup.map { Array($0.utf8) } == notInBackup.map { Array($0.utf8) })
    }

    @Test func undecidedKeysAreTheUnchangedAndTheAbsent() {
        let undecided = ListedKeys.undecided(list, copies: ["copy"], onlyInPrimary: ["primary-only"])
        #expect(undecided.map { Array($0.utf8) } == ["same", "nowhere", "cafe\u{301}"].map { Array($0.utf8) })
    }

    @Test func theTextNamesTheFirstTwenty() {
        let many = try! KeyList(bytes: Array((0..<25).map { "k\($0)\n" }.joined().utf8), path: "keys.txt", exact: false)
        let outcome = ListedKeys(list: many, asOf: "2026-11-20T00:00:00.000Z", copies: [], onlyInPrimary: [], deletes: false,
                                 unchanged: [])
        let lines = outcome.lines()
        #expect(lines[0] == "keys listed in keys.txt: 25; 0 to copy, 0 unchanged, 0 to delete, 25 not in the backup as of 2026-11-20T00:00:00.000Z")
        #expect(lines[1].hasPrefix("  not in the backup, so not restored (the restore is partial, exit 2): \"k0\", \"k1\""))
        #expect(lines[1].contains("\"k19\" … and 5 more (the first 20 are shown; --json lists them all)"))
        #expect(!lines[1].contains("\"k20\""))
    }
}
