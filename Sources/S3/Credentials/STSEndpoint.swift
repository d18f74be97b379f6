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
        let address = try Endpoint(url: url, setting: setting).address(bucket: nil, encodedKey: nil, region: signingRegion)
        self.url = address.base + address.path
        host = address.host
        path = address.path
        self.signingRegion = signingRegion
    }

    /// The STS endpoint of `profile`: the configured one (`SharedConfig.configuredEndpoint`), else the regional
    /// endpoint (the global `sts.amazonaws.com` without a region).
    static func resolve(environment: [String: String], config: SharedConfig, profile: String,
                        region: String) throws -> STSEndpoint {
        let signingRegion = region.isEmpty ? "us-east-1" : region
        if let (url, setting) = config.configuredEndpoint(service: "sts", profile: profile, environment: environment) {
            return try STSEndpoint(url: url, signingRegion: signingRegion, setting: setting)
        }
        guard !region.isEmpty else {
            return try STSEndpoint(url: "https://sts.amazonaws.com", signingRegion: signingRegion, setting: "STS")
        }
        let domain = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return try STSEndpoint(url: "https://sts.\(region).\(domain)", signingRegion: signingRegion, setting: "the region")
    }
}
