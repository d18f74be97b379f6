import ArgumentParser
import Backup
import Foundation
import S3

/// Where and as whom to talk to S3; the AWS CLI's flags, with the same environment fallbacks.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("endpoint-url"), help: "A custom S3 endpoint (an emulator or another provider); path-style addressing. Default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile, then AWS.")
    var endpointURL: String?

    @Option(help: "The profile in ~/.aws/credentials and ~/.aws/config. Default: AWS_PROFILE, then 'default'.")
    var profile: String?

    @Option(help: "The region to start from; each bucket's own region is discovered. Default: AWS_REGION, AWS_DEFAULT_REGION, the profile, then us-east-1.")
    var region: String?

    /// The location `url`, reached as these flags say.
    func side(_ url: String) -> Side {
        Side(url: url, endpointURL: endpointURL, profile: profile, region: region)
    }

    /// A client configured from these flags and the environment.
    func makeClient() throws -> S3Client {
        S3Client(configuration: try S3Configuration.resolve(profile: profile, endpointURL: endpointURL, region: region,
                                                            environment: ProcessInfo.processInfo.environment))
    }
}
