/// Keeps secrets out of what s3backup prints.
public enum SecretMask {
    /// What a secret is shown as.
    public static let mask = "********"

    /// Whether a setting's name says it holds a secret.
    public static func isSecret(_ name: String) -> Bool {
        let name = name.lowercased()
        return !name.hasSuffix("-file") && ["password", "secret", "token"].contains { name.contains($0) }
    }

    /// `value` fit to show: a secret setting masked whole, and the password of any URL (`scheme://user:PASSWORD@`)
    /// masked in the others.
    public static func shown(_ name: String, _ value: ConfigValue) -> ConfigValue {
        if isSecret(name) { return .string(mask) }
        switch value {
        case .string(let text): return .string(maskingURLPassword(text))
        case .array(let items): return .array(items.map { shown(name, $0) })
        case .integer, .boolean: return value
        }
    }

    /// `text` with the password of a URL's userinfo replaced by the mask. The userinfo ends at the authority's last
    /// `@`, so a password that holds `@` itself is masked whole.
    public static func maskingURLPassword(_ text: String) -> String {
        guard let scheme = text.range(of: "://") else { return text }
        let authority = text[scheme.upperBound...].prefix { !"/?#".contains($0) }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return text }
        return String(text[..<text.index(after: colon)]) + mask + String(text[at...])
    }
}
