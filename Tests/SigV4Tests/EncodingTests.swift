import Foundation
import SigV4
import Testing

@Suite struct EncodingTests {
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
}
