import S3
import Testing

@Suite("ETags, compared as S3 defines them", .timeLimit(.minutes(1)))
struct ETagTests {
    @Test(arguments: [
        ("\"9cfd8b2e0b8a6f03f0d5f5c4e7c1a3b2\"", "9cfd8b2e0b8a6f03f0d5f5c4e7c1a3b2"),
        ("9cfd8b2e0b8a6f03f0d5f5c4e7c1a3b2", "9cfd8b2e0b8a6f03f0d5f5c4e7c1a3b2"),
        ("&quot;9cfd8b2e0b8a6f03f0d5f5c4e7c1a3b2&quot;", "9cfd8b2e0b8a6f03f0d5f5c4e7c1a3b2"),
        ("\"9CFD8B2E0B8A6F03F0D5F5C4E7C1A3B2\"", "9cfd8b2e0b8a6f03f0d5f5c4e7c1a3b2"),
        (" \"0123abcd-3\" ", "0123abcd-3"),
        ("W/\"0123abcd\"", "0123abcd"),
        ("\"Opaque-Value\"", "Opaque-Value"),
        ("\"\"", ""),
        ("", ""),
        ("\"", "\""),
    ])
    func theValueIsWhatIsBetweenTheQuotes(text: String, value: String) {
        #expect(ETag(text).value == value)
        #expect(ETag(text).quoted == "\"\(value)\"")
    }

    @Test func equalWhateverTheSpelling() {
        #expect(ETag("\"0123abcd-3\"") == ETag("0123ABCD-3"))
        #expect(ETag("\"abc\"") != ETag("\"abd\""))
        #expect(ETag("\"Opaque\"") != ETag("\"opaque\""), "an opaque value that is not hex keeps its case")
    }

    @Test(arguments: [("\"0123abcd-3\"", 3), ("0123abcd-10000", 10_000), ("\"0123abcd\"", nil), ("\"abc-0\"", nil),
                      ("\"abc-x\"", nil), ("\"d41d8cd98f00b204e9800998ecf8427e\"", nil)] as [(String, Int?)])
    func partsOfAMultipartETag(text: String, parts: Int?) {
        #expect(ETag(text).parts == parts)
        #expect(ETag(text).isMultipart == (parts != nil))
    }

    @Test func md5OfBytes() {
        #expect(ETag(md5Of: []) == ETag("\"d41d8cd98f00b204e9800998ecf8427e\""))
        #expect(ETag.none.isEmpty)
    }
}
