@testable import Backup
import Testing

@Suite("naming the first keys of a kind", .timeLimit(.minutes(1)))
struct KeySampleTests {
    @Test func textShowsTheFirstTwentyAndCountsTheRest() {
        let sample = KeySample(keys: (0..<30).map { String(format: "k%02d", $0) }.reversed(), total: 332)
        #expect(sample.keys.first == "k00", "kept in byte order")
        let text = sample.text()
        #expect(text.hasPrefix("\"k00\", \"k01\""))
        #expect(text.contains("\"k19\" … and 312 more (the first 20 are shown; --json lists up to 100,000 of each kind)"))
        #expect(!text.contains("k20"))
        #expect(KeySample(keys: ["a", "b"], total: 2).text() == "\"a\", \"b\"")
        #expect(KeySample(keys: ["tab\there"], total: 1).text() == "\"tab\\there\"", "control characters escaped")
        #expect(KeySample.jsonLimit == 100_000)
    }

    /// A kind that none of the kept keys turned out to be is counted, not silently left out.
    @Test func differingKeysLinePerKind() {
        let keys = DifferingKeys(missing: KeySample(keys: ["m"], total: 1), different: KeySample(keys: [], total: 12),
                                 extra: .empty)
        #expect(keys.lines() == [
            "missing in the backup: \"m\"",
            "different: 12, none among the keys told apart (--json lists up to 100,000 of each kind)",
        ])
        #expect(DifferingKeys.none.lines().isEmpty)
    }
}
