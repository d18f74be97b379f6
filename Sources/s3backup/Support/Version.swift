import CCrypto
import CCurl
import CSQLite

/// `s3backup --version`: ours, and the system libraries this binary runs with.
enum Version {
    static let number = "0.1.0"

    static var text: String {
        "s3backup \(number) (SQLite \(String(cString: sqlite3_libversion())), \(String(cString: curl_version())), "
            + "\(String(cString: OpenSSL_version(Int32(OPENSSL_VERSION)))))"
    }
}
