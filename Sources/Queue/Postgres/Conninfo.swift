import CPostgres

/// A libpq connection string read the way libpq reads it (`PQconninfoParse`): `postgresql://` URIs and `key=value`
/// pairs alike. https://www.postgresql.org/docs/current/libpq-misc.html#LIBPQ-PQCONNINFOPARSE
enum Conninfo {
    /// The options `text` sets, by keyword; nil when libpq would not take it for a connection string.
    static func options(_ text: String) -> [String: String]? {
        var error: UnsafeMutablePointer<CChar>?
        guard let parsed = PQconninfoParse(text, &error) else {
            PQfreemem(error)
            return nil
        }
        defer { PQconninfoFree(parsed) }
        var options: [String: String] = [:]
        var option = parsed
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { options[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        return options
    }

    /// The secrets `text` holds (`password`, `sslpassword`), to keep out of messages that echo parts of it.
    static func secrets(_ text: String) -> [String] {
        guard let options = options(text) else { return [] }
        return ["password", "sslpassword"].compactMap { options[$0] }.filter { !$0.isEmpty }
    }
}
