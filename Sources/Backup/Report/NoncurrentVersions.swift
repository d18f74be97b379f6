import S3

extension Planner {
    /// What the destination keeps besides its current versions, by storage class, for the cost of keeping it
    /// (`--count-versions`): one ListObjectVersions pass over the destination location. Its noncurrent versions, and its
    /// delete markers, which S3 bills in STANDARD at their key's UTF-8 bytes.
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html
    public func noncurrentInDestination() async throws -> [String: StorageTally] {
        var tally: [String: StorageTally] = [:]
        for try await page in backup.listObjectVersions(bucket: backupURL.bucket, prefix: backupURL.prefix) {
            for version in page.versions where version.isDeleteMarker || !version.isLatest {
                let size = version.isDeleteMarker ? Int64(version.key.utf8.count) : version.size
                tally[version.storageClass ?? "STANDARD", default: StorageTally()].add(size: size)
            }
        }
        return tally
    }
}

extension BackupReport {
    /// Prices the destination's storage with what `planner` lists besides its current versions. A listing that fails
    /// (a key without s3:ListBucketVersions on the destination) is `log`ged and leaves the estimate as it was, of
    /// current versions: the run's outcome does not hang on its cost.
    public mutating func countVersions(with planner: Planner, prices: Prices, log: (String) -> Void) async {
        do {
            estimateCost(prices: prices, parameters: planner.parameters, noncurrent: try await planner.noncurrentInDestination())
        } catch {
            log("--count-versions: listing the versions of \(planner.parameters.backup.url) failed, so the cost of keeping it "
                + "counts current versions only: \(error)")
        }
    }
}
