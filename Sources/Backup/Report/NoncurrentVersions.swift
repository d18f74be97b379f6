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
