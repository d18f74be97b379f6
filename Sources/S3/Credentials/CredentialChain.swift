import Foundation
import SigV4

/// The standard credentials chain, in the AWS CLI's order: environment, profile (assume role, then static keys),
/// container, instance metadata. Sources are chosen from settings alone; IMDS is the last resort.
/// botocore's `create_credential_resolver` (https://github.com/boto/botocore/blob/develop/botocore/credentials.py);
/// https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html
public enum CredentialChain {
    /// The message when no source yields credentials.
    public static let noCredentialsMessage = "no AWS credentials found: set AWS_ACCESS_KEY_ID and "
        + "AWS_SECRET_ACCESS_KEY, pass --profile, or run on EC2/ECS with a role"

    /// The standard chain for `profile` (from `resolveProfileName`), cached and refreshed before expiry. A
    /// profile other than the one AWS_PROFILE / AWS_DEFAULT_PROFILE name came from --profile, which (as in the
    /// AWS CLI) takes precedence over AWS_ACCESS_KEY_ID. `now` is the clock for refreshes and signing.
    public static func standard(profile: String, environment: [String: String], config: SharedConfig,
                                transport: any HTTPTransport, region: String,
                                now: @escaping @Sendable () -> Date = Date.init) -> any CredentialsProvider {
        let source = plan(profile: profile, environment: environment, config: config, transport: transport,
                          region: region, now: now)
        return RefreshingCredentialsProvider(ChainedCredentialsProvider(source: source), now: now)
    }

    /// The source the chain settles on, decided from settings alone.
    enum Source: Sendable {
        /// AWS_ACCESS_KEY_ID and friends.
        case environment(EnvironmentCredentialsProvider)
        /// The profile's role or keys.
        case profile(any CredentialsProvider)
        /// The container credentials endpoint.
        case container(ContainerCredentialsProvider)
        /// Nothing else is configured: the instance metadata service, if it answers (nil when disabled).
        case instanceMetadata(InstanceMetadataCredentialsProvider?)
        /// The settings are wrong; every call reports it.
        case failure(S3Error)
    }

    /// Picks the source for these settings.
    static func plan(profile: String, environment: [String: String], config: SharedConfig,
                     transport: any HTTPTransport, region: String, now: @escaping @Sendable () -> Date) -> Source {
        let profileExists = config.profile(profile) != nil
        if !profileExists && profile != "default" {
            return .failure(S3Error(.configuration, "profile \(profile.debugDescription) does not exist in "
                + "\(config.filesDescription): check --profile / AWS_PROFILE, or add a [profile \(profile)] "
                + "section to the config file"))
        }
        // botocore drops the environment provider when the profile was given explicitly (not by AWS_PROFILE).
        let explicitProfile = profile != resolveProfileName(nil, environment: environment)
        let env = EnvironmentCredentialsProvider(environment: environment)
        if !explicitProfile && env.isConfigured { return .environment(env) }

        do {
            let endpoint = Result {
                try STSEndpoint.resolve(environment: environment, config: config, profile: profile, region: region)
            }
            let resolver = ProfileCredentials(config: config, environment: environment, transport: transport,
                                              endpoint: endpoint, now: now)
            if let provider = try resolver.provider(profile: profile) { return .profile(provider) }
            if try ContainerCredentialsProvider.endpoint(environment: environment) != nil {
                return .container(try ContainerCredentialsProvider(environment: environment, transport: transport))
            }
            let metadata = try InstanceMetadataCredentialsProvider(environment: environment,
                                                                   profile: config.profile(profile) ?? [:],
                                                                   transport: transport, now: now)
            return .instanceMetadata(metadata.isDisabled ? nil : metadata)
        } catch let error as S3Error {
            return .failure(error)
        } catch {
            return .failure(S3Error(.configuration, "\(error)"))
        }
    }
}

/// Asks the chosen source; the last resort's failure becomes "no AWS credentials found".
struct ChainedCredentialsProvider: CredentialsProvider {
    let source: CredentialChain.Source

    func credentials() async throws -> Credentials {
        switch source {
        case .environment(let provider): return try provider.credentials()
        case .profile(let provider): return try await provider.credentials()
        case .container(let provider): return try await provider.credentials()
        case .failure(let error): throw error
        case .instanceMetadata(nil): throw S3Error(.configuration, CredentialChain.noCredentialsMessage)
        case .instanceMetadata(let provider?):
            do {
                return try await provider.credentials()
            } catch let error as S3Error {
                throw S3Error(.configuration, CredentialChain.noCredentialsMessage
                    + " (the instance metadata service at \(provider.endpoint) gave none: \(error.message))")
            }
        }
    }
}
