import CCrypto

/// Hash functions from OpenSSL's libcrypto, one-shot and incremental.
public enum Digest {
    /// SHA-256 of `data`.
    public static func sha256<D: Collection<UInt8>>(_ data: D) -> [UInt8] { oneShot(EVP_sha256(), data) }

    /// MD5 of `data` (Content-MD5 headers and single-part ETags, not security).
    public static func md5<D: Collection<UInt8>>(_ data: D) -> [UInt8] { oneShot(EVP_md5(), data) }

    /// HMAC-SHA256 of `message` under `key`.
    public static func hmacSHA256<K: Collection<UInt8>, M: Collection<UInt8>>(key: K, _ message: M) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let keyBytes = Array(key)
        let messageBytes = Array(message)
        let result = keyBytes.withUnsafeBytes { k in
            messageBytes.withUnsafeBytes { m in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress?.assumingMemoryBound(to: UInt8.self),
                     m.count, &out, &length)
            }
        }
        precondition(result != nil, "HMAC-SHA256 failed in libcrypto")
        return Array(out.prefix(Int(length)))
    }

    private static func oneShot<D: Collection<UInt8>>(_ md: OpaquePointer?, _ data: D) -> [UInt8] {
        var hasher = Hasher(md)
        hasher.update(data)
        return hasher.finish()
    }

    /// An incremental hash over data that arrives in pieces (a streamed object body).
    public struct Hasher: ~Copyable {
        private let context: OpaquePointer

        /// Starts a SHA-256 hash.
        public static func sha256() -> Hasher { Hasher(EVP_sha256()) }
        /// Starts an MD5 hash.
        public static func md5() -> Hasher { Hasher(EVP_md5()) }

        fileprivate init(_ md: OpaquePointer?) {
            guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new: out of memory") }
            precondition(EVP_DigestInit_ex(context, md, nil) == 1, "EVP_DigestInit_ex failed")
            self.context = context
        }

        /// Feeds `bytes` into the hash.
        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            precondition(EVP_DigestUpdate(context, base, bytes.count) == 1, "EVP_DigestUpdate failed")
        }

        /// Feeds a collection of bytes into the hash.
        public mutating func update<D: Collection<UInt8>>(_ data: D) {
            if data.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) == nil {
                Array(data).withUnsafeBytes { update($0) }
            }
        }

        /// Ends the hash and returns the digest.
        public consuming func finish() -> [UInt8] {
            var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            precondition(EVP_DigestFinal_ex(context, &out, &length) == 1, "EVP_DigestFinal_ex failed")
            return Array(out.prefix(Int(length)))
        }

        deinit { EVP_MD_CTX_free(context) }
    }
}

extension Collection<UInt8> {
    /// Lowercase hexadecimal, as SigV4 and ETags write digests.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
