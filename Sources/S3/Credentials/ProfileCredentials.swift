import Foundation
import SigV4

/// Turns a profile's settings into a provider, as botocore's AssumeRoleProvider and SharedCredentialProvider /
/// ConfigProvider do: `role_arn` with `source_profile` (recursively) or `credential_source`, else static keys.
/// https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-role.html
struct ProfileCredentials {
    let config: SharedConfig
    let environment: [String: String]
    let transport: any HTTPTransport
    /// Where every AssumeRole of this chain goes (resolved from the profile in use, as botocore's session does);
    /// a bad endpoint setting matters only to profiles that assume a role.
    let endpoint: Result<STSEndpoint, any Error>
    let now: @Sendable () -> Date

    /// The provider for `name`'s own settings; nil when the profile has neither a role nor keys (or does not
    /// exist). Configuration errors: a broken role setup, half a key pair, a source_profile loop.
    func provider(profile name: String) throws -> (any CredentialsProvider)? {
        guard config.profile(name) != nil else { return nil }
        return try resolve(name, visited: [])
    }

    private func resolve(_ name: String, visited: [String]) throws -> (any CredentialsProvider)? {
        guard let settings = config.profile(name) else {
            throw S3Error(.configuration, "profile \(name.debugDescription), the source_profile of profile "
                + "\(visited.last?.debugDescription ?? ""), does not exist in \(config.filesDescription)")
        }
        guard let roleARN = value(settings, "role_arn") else { return try staticKeys(settings, profile: name) }

        if value(settings, "web_identity_token_file") != nil {
            throw S3Error(.configuration, "profile \(name.debugDescription) uses web_identity_token_file, which "
                + "s3backup does not support; use source_profile or credential_source")
        }
        if value(settings, "mfa_serial") != nil {
            throw S3Error(.configuration, "profile \(name.debugDescription) sets mfa_serial, which needs a code typed "
                + "in; s3backup runs unattended, so use a role without MFA")
        }
        let source: any CredentialsProvider
        switch (value(settings, "source_profile"), value(settings, "credential_source")) {
        case (nil, nil):
            throw S3Error(.configuration, "profile \(name.debugDescription) sets role_arn but neither source_profile "
                + "nor credential_source: add one to say which credentials assume the role")
        case (.some, .some):
            throw S3Error(.configuration, "profile \(name.debugDescription) sets both source_profile and "
                + "credential_source: keep one")
        case (let sourceProfile?, nil):
            if sourceProfile == name, let keys = try staticKeys(settings, profile: name) {
                // A profile may name itself to mean "my own keys assume my role" (botocore allows exactly this).
                source = keys
            } else if visited.contains(sourceProfile) || sourceProfile == name {
                let loop = (visited + [name, sourceProfile]).map(\.debugDescription).joined(separator: " → ")
                throw S3Error(.configuration, "the source_profile settings form a loop (\(loop)): make the last "
                    + "profile hold keys or use credential_source")
            } else if let provider = try resolve(sourceProfile, visited: visited + [name]) {
                source = provider
            } else {
                throw S3Error(.configuration, "profile \(sourceProfile.debugDescription), the source_profile of "
                    + "profile \(name.debugDescription), has no credentials: add aws_access_key_id and "
                    + "aws_secret_access_key, or role_arn")
            }
        case (nil, let credentialSource?):
            source = try self.source(credentialSource, profile: name)
        }

        let durationText = value(settings, "duration_seconds") ?? "3600"
        guard let duration = Int(durationText) else {
            throw S3Error(.configuration, "duration_seconds \(durationText.debugDescription) of profile "
                + "\(name.debugDescription) is not a whole number of seconds")
        }
        let provider = try AssumeRoleCredentialsProvider(
            roleARN: roleARN, sessionName: value(settings, "role_session_name"), durationSeconds: duration,
            externalID: value(settings, "external_id"), source: source, endpoint: try endpoint.get(),
            transport: transport, now: now)
        // Cached here too, so a role that is the source of another is not assumed again for every call.
        return visited.isEmpty ? provider : RefreshingCredentialsProvider(provider, now: now)
    }

    /// `credential_source`: Environment, Ec2InstanceMetadata or EcsContainer.
    private func source(_ credentialSource: String, profile name: String) throws -> any CredentialsProvider {
        switch credentialSource {
        case "Environment":
            return EnvironmentCredentialsProvider(environment: environment)
        case "Ec2InstanceMetadata":
            let metadata = try InstanceMetadataCredentialsProvider(environment: environment,
                                                                   profile: config.profile(name) ?? [:],
                                                                   transport: transport, now: now)
            return RefreshingCredentialsProvider(metadata, now: now)
        case "EcsContainer":
            return RefreshingCredentialsProvider(
                try ContainerCredentialsProvider(environment: environment, transport: transport), now: now)
        default:
            throw S3Error(.configuration, "credential_source \(credentialSource.debugDescription) of profile "
                + "\(name.debugDescription) must be Environment, Ec2InstanceMetadata or EcsContainer")
        }
    }

    /// aws_access_key_id / aws_secret_access_key / aws_session_token; nil when there is no key id.
    private func staticKeys(_ settings: [String: String], profile name: String) throws -> StaticCredentialsProvider? {
        guard let keyID = value(settings, "aws_access_key_id") else { return nil }
        guard let secret = value(settings, "aws_secret_access_key") else {
            throw S3Error(.configuration, "profile \(name.debugDescription) has aws_access_key_id but no "
                + "aws_secret_access_key in \(config.filesDescription)")
        }
        return StaticCredentialsProvider(Credentials(accessKeyID: keyID, secretAccessKey: secret,
                                                     sessionToken: value(settings, "aws_session_token")))
    }

    private func value(_ settings: [String: String], _ key: String) -> String? {
        guard let value = settings[key], !value.isEmpty else { return nil }
        return value
    }
}
