import Foundation
@testable import S3
import Testing

@Suite("checksums S3 keeps")
struct ChecksumTests {
    /// CRC-64/NVME's check value (the CRC of "123456789") from the CRC catalogue, and the same through every split
    /// of a longer input, so the eight-bytes-a-step path agrees with the bytewise one wherever a piece ends.
    @Test func crc64nvmeMatchesTheCatalogueAndItselfInPieces() {
        var check = CRC64NVME()
        check.update(Array("123456789".utf8))
        let value = Data(base64Encoded: check.checksum.value)!
        #expect(Array(value) == [0xAE, 0x8B, 0x14, 0x86, 0x0A, 0x79, 0x98, 0x88])

        let bytes = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = Checksum.crc64nvme(bytes)
        for split in [1, 7, 8, 9, 500, 999] {
            var pieces = CRC64NVME()
            pieces.update(bytes[..<split])
            pieces.update(bytes[split...])
            #expect(pieces.checksum == whole, "split at \(split)")
        }
    }

    /// Headers and CopyObjectResult elements as S3 sends them; a composite checksum proves nothing across layouts.
    @Test func answersAreReadAndOnlyFullObjectChecksumsProveEquality() throws {
        let full = try #require(Checksum(headers: ["x-amz-checksum-crc64nvme": "jM4wcHOk8Pc=", "x-amz-checksum-type": "FULL_OBJECT"]))
        #expect(full == Checksum(algorithm: "CRC64NVME", value: "jM4wcHOk8Pc="))
        let composite = try #require(Checksum(headers: ["x-amz-checksum-sha256": "abc=-3"]))
        #expect(composite.isComposite && composite.value == "abc=")
        #expect(Checksum(headers: ["x-amz-checksum-crc32": "NhCmhg==", "x-amz-checksum-type": "COMPOSITE"])?.isComposite == true)
        #expect(Checksum(headers: ["etag": "\"x\""]) == nil)
        let copied = try XMLTree.parse(Array("<CopyObjectResult><ETag>\"e\"</ETag><ChecksumCRC32>NhCmhg==</ChecksumCRC32></CopyObjectResult>".utf8))
        #expect(Checksum(xml: copied) == Checksum(algorithm: "CRC32", value: "NhCmhg=="))

        #expect(full.provesEqual(full))
        #expect(!composite.provesEqual(composite), "a checksum of parts' checksums depends on the part layout")
        #expect(!full.provesEqual(Checksum(algorithm: "CRC32", value: full.value)))
        for checksum in [full, composite] { #expect(Checksum(text: checksum.description) == checksum) }
        #expect(Checksum(text: "MD5:abc") == nil)
    }
}
