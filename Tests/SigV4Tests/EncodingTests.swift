import Foundation
import SigV4
import Testing

@Suite(.timeLimit(.minutes(1))) struct EncodingTests {
    @Test(arguments: [
        ("a b", "a%20b", "a%20b"), ("a+b", "a%2Bb", "a%2Bb"), ("a/b", "a/b", "a%2Fb"), ("~-._", "~-._", "~-._"),
        ("!'()*", "%21%27%28%29%2A", "%21%27%28%29%2A"), ("%2F", "%252F", "%252F"), ("é", "%C3%A9", "%C3%A9"),
        ("=&?#", "%3D%26%3F%23", "%3D%26%3F%23"), ("\t", "%09", "%09"),
    ])
    func encodes(raw: String, path: String, query: String) {
        #expect(URIEncoding.path(raw) == path)
        #expect(URIEncoding.queryComponent(raw) == query)
        #expect(URIEncoding.decode(query, plusIsSpace: false) == raw)
    }

    @Test func decodesFormEncoding() {
        #expect(URIEncoding.decode("a+b%2Bc%20d", plusIsSpace: true) == "a b+c d")
        #expect(URIEncoding.decode("a+b", plusIsSpace: false) == "a+b")
        #expect(URIEncoding.decode("bad%2", plusIsSpace: true) == nil)
        #expect(URIEncoding.decode("bad%zz", plusIsSpace: true) == nil)
    }

    @Test func keepsUnicodeNormalisationForms() {
        let nfc = "\u{E9}", nfd = "e\u{301}"
        #expect(URIEncoding.path(nfc) == "%C3%A9")
        #expect(URIEncoding.path(nfd) == "e%CC%81")
    }

    @Test(arguments: [
        (0.0, "19700101T000000Z"), (1_369_353_600.0, "20130524T000000Z"), (1_440_938_160.0, "20150830T123600Z"),
        (951_782_400.0, "20000229T000000Z"), (4_102_444_799.5, "20991231T235959Z"),
    ])
    func formatsDates(seconds: Double, expected: String) {
        #expect(AmzDate(Date(timeIntervalSince1970: seconds)).timestamp == expected)
        #expect(AmzDate(timestamp: expected) != nil)
    }

    @Test func rejectsMalformedTimestamps() {
        #expect(AmzDate(timestamp: "2013-05-24T00:00:00Z") == nil)
        #expect(AmzDate(timestamp: "20130524T000000") == nil)
    }

    @Test func digests() {
        #expect(Digest.md5(Array("".utf8)).hex == "d41d8cd98f00b204e9800998ecf8427e")
        var hasher = Digest.Hasher.sha256()
        hasher.update(Array("Welcome to ".utf8))
        hasher.update(Array("Amazon S3.".utf8))
        #expect(hasher.finish().hex == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        #expect(Credentials(accessKeyID: "AK", secretAccessKey: "SECRET", sessionToken: "TOKEN").description
            .contains("SECRET") == false)
    }

    /// RFC 4231 test cases 1, 2, 6 and 7: a short key, a short text, keys longer than a block.
    /// https://www.rfc-editor.org/rfc/rfc4231#section-4
    @Test(arguments: [
        ([UInt8](repeating: 0x0B, count: 20), "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ([UInt8](repeating: 0xAA, count: 131), "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ([UInt8](repeating: 0xAA, count: 131), "This is a test using a larger than block-size key and a larger than "
            + "block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ])
    func hmacSHA256(key: [UInt8], message: String, expected: String) {
        #expect(Digest.hmacSHA256(key: key, Array(message.utf8)).hex == expected)
    }
}
