import Foundation

/// Where AssumeRole goes and the region it is signed for.
struct STSEndpoint: Sendable, Equatable {
    /// The URL requests go to (scheme, authority, path).
    let url: String
    /// The Host header, as signed and sent.
    let host: String
    /// The path as signed: the URL's path, or `/`.
    let path: String
    /// The region of the SigV4 scope.
    let signingRegion: String

    /// Parses `url` (`scheme://host[:port][/path]`); `setting` names its origin for the error message.
    init(url: String, signingRegion: String, setting: String) throws {
        func invalid(_ why: String) -> S3Error {
            S3Error(.configuration, "\(setting) \(url.debugDescription) is not a valid STS endpoint URL: \(why)")
        }
        guard let schemeEnd = url.range(of: "://") else { throw invalid("expected http://HOST[:PORT] or https://…") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { throw invalid("the scheme must be http or https") }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        guard !path.contains("?"), !path.contains("#") else { throw invalid("no query or fragment allowed") }
        guard !authority.isEmpty, !authority.contains("@"), !authority.contains(" ") else {
            throw invalid("the host is missing or malformed")
        }
        if path.isEmpty { path = "/" }
        self.url = "\(scheme)://\(authority)\(path)"
        host = String(authority)
        self.path = path
        self.signingRegion = signingRegion
    }

    /// The STS endpoint of `profile`, as botocore resolves service endpoints: AWS_ENDPOINT_URL_STS >
    /// AWS_ENDPOINT_URL > the profile's `[services NAME]` `sts` `endpoint_url` > the profile's `endpoint_url` >
    /// the regional endpoint (global `sts.amazonaws.com` without a region); AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
    /// (or `ignore_configured_endpoint_urls`) = true skips the configured ones.
    /// https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
    static func resolve(environment: [String: String], config: SharedConfig, profile: String,
                        region: String) throws -> STSEndpoint {
        let settings = config.profile(profile) ?? [:]
        let signingRegion = region.isEmpty ? "us-east-1" : region
        let ignore = (nonEmpty(environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"])
            ?? nonEmpty(settings["ignore_configured_endpoint_urls"]))?.lowercased() == "true"
        if !ignore {
            let candidates: [(String?, String)] = [
                (environment["AWS_ENDPOINT_URL_STS"], "AWS_ENDPOINT_URL_STS"),
                (environment["AWS_ENDPOINT_URL"], "AWS_ENDPOINT_URL"),
                (config.serviceSettings(profile: profile, service: "sts")["endpoint_url"],
                 "endpoint_url of sts in [services \(settings["services"] ?? "")]"),
                (settings["endpoint_url"], "endpoint_url of profile \(profile)"),
            ]
            for (value, setting) in candidates {
                if let value = nonEmpty(value) {
                    return try STSEndpoint(url: value, signingRegion: signingRegion, setting: setting)
                }
            }
        }
        guard !region.isEmpty else {
            return try STSEndpoint(url: "https://sts.amazonaws.com", signingRegion: signingRegion, setting: "STS")
        }
        let domain = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return try STSEndpoint(url: "https://sts.\(region).\(domain)", signingRegion: signingRegion, setting: "the region")
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
