import Foundation

extension S3Configuration {
    /// Resolves settings the way the AWS CLI does: flags, then environment, then the profile in the shared files.
    /// https://docs.aws.amazon.com/sdkref/latest/guide/settings-reference.html
    /// - Parameters:
    ///   - profile: `--profile`, if given.
    ///   - endpointURL: `--endpoint-url`, if given.
    ///   - region: `--region`, if given.
    ///   - environment: the process environment.
    public static func resolve(profile: String?, endpointURL: String?, region: String?,
                               environment: [String: String]) throws -> S3Configuration {
        let shared = try SharedConfig.load(environment: environment)
        let profileName = resolveProfileName(profile, environment: environment)
        // A profile named but missing is reported by the credential chain, with the files' real paths.
        let settings = shared.profile(profileName) ?? [:]

        let resolvedRegion = nonEmpty(region) ?? nonEmpty(environment["AWS_REGION"])
            ?? nonEmpty(environment["AWS_DEFAULT_REGION"]) ?? nonEmpty(settings["region"]) ?? "us-east-1"
        guard RegionName.isValid(resolvedRegion) else {
            throw S3Error(.configuration, "the region \(resolvedRegion.debugDescription) is not a region name "
                + "(like us-west-2): check --region, AWS_REGION, AWS_DEFAULT_REGION or the profile")
        }

        var endpoint = Endpoint.aws
        if let endpointURL = nonEmpty(endpointURL) {
            endpoint = try Endpoint(url: endpointURL, setting: "--endpoint-url")
        } else if let (url, setting) = shared.configuredEndpoint(service: "s3", profile: profileName, environment: environment) {
            endpoint = try Endpoint(url: url, setting: setting)
        }

        var retry = RetryPolicy()
        if let text = nonEmpty(environment["AWS_MAX_ATTEMPTS"]) ?? nonEmpty(settings["max_attempts"]) {
            guard let attempts = Int(text), (1...20).contains(attempts) else {
                throw S3Error(.configuration, "max attempts \(text.debugDescription) must be a whole number from 1 to 20 "
                    + "(AWS_MAX_ATTEMPTS or the profile's max_attempts)")
            }
            retry.maxAttempts = attempts
            retry.attemptsConfigured = true
        }

        var transportOptions = CurlTransport.Options()
        transportOptions.caBundle = nonEmpty(environment["AWS_CA_BUNDLE"]) ?? nonEmpty(settings["ca_bundle"])
        if let text = nonEmpty(environment["S3BACKUP_STALL_SECONDS"]) {
            guard let seconds = Int(text), (1...3600).contains(seconds) else {
                throw S3Error(.configuration, "S3BACKUP_STALL_SECONDS \(text.debugDescription) must be a whole number "
                    + "of seconds from 1 to 3600")
            }
            transportOptions.stallSeconds = seconds
        }
        var timeLimit = RequestTimeLimit()
        if let text = nonEmpty(environment["S3BACKUP_REQUEST_TIME_LIMIT_SECONDS"]) {
            guard let seconds = Int(text), (1...604_800).contains(seconds) else {
                throw S3Error(.configuration, "S3BACKUP_REQUEST_TIME_LIMIT_SECONDS \(text.debugDescription) must be a whole "
                    + "number of seconds from 1 to 604800 (a week)")
            }
            timeLimit.baseSeconds = seconds
        }
        let transport = CurlTransport.shared(options: transportOptions)
        let credentials = CredentialChain.standard(profile: profileName, environment: environment, config: shared,
                                                   transport: transport, region: resolvedRegion)
        var configuration = S3Configuration(endpoint: endpoint, region: resolvedRegion, credentials: credentials,
                                            retry: retry, transport: transport)
        configuration.requestTimeLimit = timeLimit
        return configuration
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
