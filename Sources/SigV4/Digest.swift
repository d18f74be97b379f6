import CCrypto

/// Hash functions from OpenSSL's libcrypto, one-shot and incremental.
public enum Digest {
    /// SHA-256 of `data`.
    public static func sha256<D: Collection<UInt8>>(_ data: D) -> [UInt8] { oneShot(sha256Method, data) }

    /// MD5 of `data` (Content-MD5 headers and single-part ETags, not security).
    public static func md5<D: Collection<UInt8>>(_ data: D) -> [UInt8] { oneShot(md5Method, data) }

    /// HMAC-SHA256 of `message` under `key`, as RFC 2104 builds it on SHA-256 (64-byte blocks). Built here
    /// rather than with OpenSSL 3's HMAC(), which looks up and sets up a MAC implementation on every call: a
    /// request's signature cost more in that lookup than in hashing.
    /// https://www.rfc-editor.org/rfc/rfc2104#section-2
    public static func hmacSHA256<K: Collection<UInt8>, M: Collection<UInt8>>(key: K, _ message: M) -> [UInt8] {
        let blockSize = 64
        // The key padded to a block, XORed with ipad for the inner hash, then with opad for the outer one.
        var pad = [UInt8](repeating: 0x36, count: blockSize)
        for (index, byte) in (key.count > blockSize ? sha256(key) : Array(key)).enumerated() { pad[index] ^= byte }
        var inner = Hasher(sha256Method)
        inner.update(pad)
        inner.update(message)
        for index in pad.indices { pad[index] ^= 0x36 ^ 0x5C }
        var outer = Hasher(sha256Method)
        outer.update(pad)
        outer.update(inner.finish())
        return outer.finish()
    }

    /// The digest implementations, fetched once. With OpenSSL 3 a digest named by EVP_sha256() is looked up in
    /// the provider store, under a lock, every time a hash starts ("implicit fetch"); a fetched one is not.
    /// Fetched methods are immutable and may be shared by threads.
    /// https://docs.openssl.org/3.0/man7/crypto/#explicit-fetching
    nonisolated(unsafe) private static let sha256Method = fetch("SHA256")
    nonisolated(unsafe) private static let md5Method = fetch("MD5")

    private static func fetch(_ name: String) -> OpaquePointer {
        guard let method = EVP_MD_fetch(nil, name, nil) else { preconditionFailure("libcrypto has no \(name)") }
        return method
    }

    private static func oneShot<D: Collection<UInt8>>(_ md: OpaquePointer, _ data: D) -> [UInt8] {
        var hasher = Hasher(md)
        hasher.update(data)
        return hasher.finish()
    }

    /// An incremental hash over data that arrives in pieces (a streamed object body).
    public struct Hasher: ~Copyable {
        private let context: OpaquePointer

        /// Starts a SHA-256 hash.
        public static func sha256() -> Hasher { Hasher(sha256Method) }
        /// Starts an MD5 hash.
        public static func md5() -> Hasher { Hasher(md5Method) }

        fileprivate init(_ md: OpaquePointer) {
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
            [UInt8](unsafeUninitializedCapacity: Int(EVP_MAX_MD_SIZE)) { out, count in
                var length: UInt32 = 0
                precondition(EVP_DigestFinal_ex(context, out.baseAddress, &length) == 1, "EVP_DigestFinal_ex failed")
                count = Int(length)
            }
        }

        deinit { EVP_MD_CTX_free(context) }
    }
}

extension Collection<UInt8> {
    /// Lowercase hexadecimal, as SigV4 and ETags write digests.
    public var hex: String {
        String(unsafeUninitializedCapacity: count * 2) { out in
            func digit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x57 + value }
            var index = 0
            for byte in self {
                out[index] = digit(byte >> 4)
                out[index + 1] = digit(byte & 0x0f)
                index += 2
            }
            return index
        }
    }
}
