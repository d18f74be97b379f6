import Foundation

/// An additional checksum S3 keeps with an object (`x-amz-checksum-*`), as HeadObject with checksum mode, GetObject,
/// CopyObject and PutObject tell it. A full-object checksum is a function of the body alone, so two equal ones of
/// the same algorithm prove two bodies equal whatever encryption or part layout made their ETags differ; a composite
/// one (a checksum of the parts' checksums, `-N`) depends on the part layout and proves nothing across layouts.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
public struct Checksum: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The algorithms S3 offers, in the order an answer's headers are read.
    public static let algorithms = ["CRC64NVME", "CRC32", "CRC32C", "SHA1", "SHA256"]

    /// `CRC64NVME`, `CRC32`, `CRC32C`, `SHA1` or `SHA256`.
    public var algorithm: String
    /// The base64 value, without any `-N` suffix.
    public var value: String
    /// Whether it is composite (`x-amz-checksum-type: COMPOSITE`, or a value with a `-N` suffix).
    public var isComposite: Bool

    /// A checksum.
    public init(algorithm: String, value: String, isComposite: Bool = false) {
        precondition(Checksum.algorithms.contains(algorithm), "an algorithm S3 offers")
        self.algorithm = algorithm
        self.value = value
        self.isComposite = isComposite
    }

    /// The header the value travels in, `x-amz-checksum-crc64nvme` and so on.
    public var header: String { Checksum.header(algorithm) }

    static func header(_ algorithm: String) -> String { "x-amz-checksum-\(algorithm.lowercased())" }

    /// The first checksum an answer's headers carry (`x-amz-checksum-type` says whether it is composite).
    init?(headers: [String: String]) {
        guard let algorithm = Checksum.algorithms.first(where: { headers[Checksum.header($0)] != nil }),
              let text = headers[Checksum.header(algorithm)] else { return nil }
        self.init(algorithm: algorithm, text: text, type: headers["x-amz-checksum-type"])
    }

    /// The first `ChecksumXXX` element of a CopyObjectResult or CopyPartResult.
    init?(xml: XMLTree) {
        guard let algorithm = Checksum.algorithms.first(where: { xml.find("Checksum" + $0) != nil }),
              let text = xml.find("Checksum" + algorithm)?.text, !text.isEmpty else { return nil }
        self.init(algorithm: algorithm, text: text, type: xml.find("ChecksumType")?.text)
    }

    private init(algorithm: String, text: String, type: String?) {
        let parts = text.split(separator: "-", maxSplits: 1)
        self.init(algorithm: algorithm, value: String(parts.first ?? ""), isComposite: parts.count == 2 || type == "COMPOSITE")
    }

    /// `ALGORITHM:value`, as the catalog keeps it (composite ones end in `-composite`).
    public var description: String { "\(algorithm):\(value)" + (isComposite ? "-composite" : "") }

    /// The checksum a catalog row kept as `description` spells it.
    public init?(text: String) {
        guard let colon = text.firstIndex(of: ":"), Checksum.algorithms.contains(String(text[..<colon])) else { return nil }
        var value = String(text[text.index(after: colon)...])
        let composite = value.hasSuffix("-composite")
        if composite { value.removeLast("-composite".count) }
        self.init(algorithm: String(text[..<colon]), value: value, isComposite: composite)
    }

    /// Whether this and `other` prove two bodies equal: both full-object, same algorithm, same value.
    public func provesEqual(_ other: Checksum) -> Bool {
        !isComposite && !other.isComposite && algorithm == other.algorithm && value == other.value
    }

    /// The CRC64NVME checksum of `bytes`.
    public static func crc64nvme<D: Collection<UInt8>>(_ bytes: D) -> Checksum {
        var crc = CRC64NVME()
        crc.update(bytes)
        return crc.checksum
    }
}

/// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5, all ones in and out), S3's default full-object checksum,
/// computed incrementally, eight bytes a step ("slicing by 8"). libcrypto has no CRC-64.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
public struct CRC64NVME: Sendable {
    private var crc: UInt64 = ~0

    /// Tables for slicing by 8: `tables[0]` is the bytewise table, `tables[k]` advances it by `k` more zero bytes.
    private static let tables: [[UInt64]] = {
        var first = [UInt64](repeating: 0, count: 256)
        for index in 0..<256 {
            var value = UInt64(index)
            for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0x9A6C_9329_AC4B_C9B5 : value >> 1 }
            first[index] = value
        }
        var tables = [first]
        for k in 1..<8 { tables.append((0..<256).map { tables[k - 1][$0] >> 8 ^ first[Int(tables[k - 1][$0] & 0xFF)] }) }
        return tables
    }()

    /// A new checksum.
    public init() {}

    /// Adds `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        let tables = CRC64NVME.tables
        var crc = self.crc, index = 0
        let count = bytes.count
        tables.withUnsafeBufferPointer { t in
            let t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5], t6 = t[6], t7 = t[7]
            while index + 8 <= count {
                var word: UInt64 = 0
                withUnsafeMutableBytes(of: &word) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + 8)])) }
                crc ^= UInt64(littleEndian: word)
                crc = t7[Int(crc & 0xFF)] ^ t6[Int(crc >> 8 & 0xFF)] ^ t5[Int(crc >> 16 & 0xFF)] ^ t4[Int(crc >> 24 & 0xFF)]
                    ^ t3[Int(crc >> 32 & 0xFF)] ^ t2[Int(crc >> 40 & 0xFF)] ^ t1[Int(crc >> 48 & 0xFF)] ^ t0[Int(crc >> 56)]
                index += 8
            }
            while index < count {
                crc = t0[Int((crc ^ UInt64(bytes[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
        }
        self.crc = crc
    }

    /// Adds `bytes`.
    public mutating func update<D: Collection<UInt8>>(_ bytes: D) {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) { return done }
        Array(bytes).withUnsafeBytes { update($0) }
    }

    /// The checksum of the bytes so far.
    public var checksum: Checksum {
        let value = ~crc
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
        return Checksum(algorithm: "CRC64NVME", value: Data(bytes).base64EncodedString())
    }
}
