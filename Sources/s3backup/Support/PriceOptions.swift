import ArgumentParser
import Backup

/// The prices a report's cost estimate uses: AWS's us-east-1 list prices, each replaceable (`[prices]` in the config
/// file holds `price = ["storage.STANDARD_IA=0.0138", …]` for every command that reports).
struct PriceOptions: ParsableArguments {
    @Option(name: .customLong("price"),
            help: "Replace a price of the cost estimate (repeatable): storage.CLASS=USD per GB-month, write.CLASS=USD or read.CLASS=USD per 1,000 requests, transfer=USD per GB between regions.")
    var settings: [String] = []

    func validate() throws {
        do { _ = try prices } catch { throw ValidationError(error.description) }
    }

    /// AWS's list prices with the settings applied, in order.
    var prices: Prices {
        get throws(PriceError) {
            var prices = Prices.aws
            for setting in settings { prices = try prices.applying(setting) }
            return prices
        }
    }
}

/// Whether the cost of keeping the destination lists its versions (run, restore, report).
struct VersionCountOptions: ParsableArguments {
    @Flag(help: "Also list the destination's versions, so the cost of keeping it counts its noncurrent versions and delete markers (one more listing of the destination; needs s3:ListBucketVersions there).")
    var countVersions = false
}
