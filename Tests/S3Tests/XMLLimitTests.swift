import S3
import Testing

/// The reader's limits refuse what no S3 answer comes near, and the largest real answers pass them and the
/// transport's cap on bodies kept in memory with room to spare.
@Suite("XML limits", .timeLimit(.minutes(1)))
struct XMLLimitTests {
    private func nested(_ depth: Int) -> [UInt8] {
        Array((String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth)).utf8)
    }

    @Test func nestingUpTo64IsRead() throws {
        var tree = try XMLTree.parse(nested(64))
        var depth = 1
        while let child = tree.children.first {
            tree = child
            depth += 1
        }
        #expect(depth == 64)
    }

    /// 200,000 deep is the 1.4 MB document that used to overflow the stack (SIGSEGV) of whatever thread read it.
    @Test(arguments: [65, 200_000])
    func deeperNestingIsRefused(depth: Int) throws {
        let error = #expect(throws: S3Error.self) { try XMLTree.parse(nested(depth)) }
        #expect(error?.kind == .invalidResponse)
        #expect(error?.message.contains("nested deeper than 64") == true, "\(String(describing: error))")
    }

    @Test func tooManyElementsAreRefused() throws {
        let document = "<r>" + String(repeating: "<a/>", count: 500_000) + "</r>"
        let error = #expect(throws: S3Error.self) { try XMLTree.parse(Array(document.utf8)) }
        #expect(error?.message.contains("more than 500000 elements") == true, "\(String(describing: error))")
    }

    /// A 1,024-byte key written the longest way S3 may write it: six bytes a byte.
    private static let longestKey = String(repeating: "&quot;", count: 1_024)
    private static let owner = "<Owner><ID>\(String(repeating: "a", count: 64))</ID><DisplayName>\(String(repeating: "d", count: 64))</DisplayName></Owner>"
    private static let restore = "<RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress><RestoreExpiryDate>2026-11-26T15:36:19.000Z</RestoreExpiryDate></RestoreStatus>"

    /// The largest answers of each kind the client keeps in memory, every optional element present.
    static let largestAnswers: [LargestAnswer] = [
        LargestAnswer("ListObjectVersions, 1,000 versions", "<ListVersionsResult><Name>b</Name><Prefix>\(longestKey)</Prefix>"
            + "<KeyMarker>\(longestKey)</KeyMarker><NextKeyMarker>\(longestKey)</NextKeyMarker><IsTruncated>true</IsTruncated>"
            + String(repeating: "<Version><Key>\(longestKey)</Key><VersionId>\(String(repeating: "v", count: 32))</VersionId>"
                + "<IsLatest>false</IsLatest><LastModified>2026-11-26T15:36:19.000Z</LastModified><ETag>&quot;"
                + String(repeating: "0", count: 32) + "-10000&quot;</ETag><Size>5497558138880</Size>"
                + "<StorageClass>DEEP_ARCHIVE</StorageClass>\(owner)<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm>"
                + "<ChecksumType>FULL_OBJECT</ChecksumType>\(restore)</Version>\n", count: 1_000) + "</ListVersionsResult>"),
        LargestAnswer("ListObjectsV2, 1,000 keys", "<ListBucketResult><Name>b</Name><Prefix>\(longestKey)</Prefix>"
            + "<ContinuationToken>\(String(repeating: "t", count: 1_024))</ContinuationToken><IsTruncated>true</IsTruncated>"
            + String(repeating: "<Contents><Key>\(longestKey)</Key><LastModified>2026-11-26T15:36:19.000Z</LastModified>"
                + "<ETag>&quot;\(String(repeating: "0", count: 32))-10000&quot;</ETag><Size>5497558138880</Size>\(owner)"
                + "<StorageClass>DEEP_ARCHIVE</StorageClass><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm>"
                + "<ChecksumType>FULL_OBJECT</ChecksumType>\(restore)</Contents>\n", count: 1_000) + "</ListBucketResult>"),
        LargestAnswer("DeleteObjects, 1,000 errors", "<DeleteResult>" + String(repeating: "<Error><Key>\(longestKey)</Key><VersionId>"
            + String(repeating: "v", count: 1_024) + "</VersionId><Code>AccessDenied</Code><Message>"
            + String(repeating: "Access Denied because object protected by object lock.", count: 4) + "</Message></Error>\n",
            count: 1_000) + "</DeleteResult>"),
        LargestAnswer("ListParts, 10,000 parts", "<ListPartsResult><Bucket>b</Bucket><Key>\(longestKey)</Key><IsTruncated>false</IsTruncated>"
            + String(repeating: "<Part><PartNumber>10000</PartNumber><LastModified>2026-11-26T15:36:19.000Z</LastModified>"
                + "<ETag>&quot;\(String(repeating: "0", count: 32))&quot;</ETag><Size>5368709120</Size>"
                + "<ChecksumCRC32>AAAAAA==</ChecksumCRC32><ChecksumCRC32C>AAAAAA==</ChecksumCRC32C>"
                + "<ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME><ChecksumSHA1>\(String(repeating: "A", count: 28))"
                + "</ChecksumSHA1><ChecksumSHA256>\(String(repeating: "A", count: 44))</ChecksumSHA256></Part>\n",
                count: 10_000) + "</ListPartsResult>"),
    ]

    @Test(arguments: largestAnswers)
    func theLargestRealAnswersAreReadWithRoomToSpare(answer: LargestAnswer) throws {
        let bytes = Array(answer.document.utf8)
        #expect(bytes.count * 8 < HTTPRequest.defaultMaxBodyBytes, "\(answer.kind) is \(bytes.count) bytes")
        let tree = try XMLTree.parse(bytes)
        #expect(tree.children.count >= 1_000)
    }
}

/// One of the largest answers S3 sends of a kind, named for the test's list.
struct LargestAnswer: Sendable, CustomTestStringConvertible {
    let kind: String
    let document: String

    init(_ kind: String, _ document: String) {
        self.kind = kind
        self.document = document
    }

    var testDescription: String { kind }
}
