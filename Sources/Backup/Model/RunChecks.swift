import S3

extension RunParameters {
    /// Checks everything a run needs before one is created in the queue, so a mistake never leaves a run behind:
    /// both locations parse, both sides' settings (endpoint, profile, region) resolve from `environment`, the
    /// locations are apart, and (unless `allowUnversioned`) a backup's bucket keeps versions. Returns the parameters
    /// as the run is to be done (a backup's with the Object Lock policy its bucket records), and what to warn of.
    public func prepared(environment: [String: String], allowUnversioned: Bool) async throws -> (parameters: RunParameters, warnings: [String]) {
        let destination = try backup.client(environment: environment, attempts: Self.checkAttempts)
        try checkApart(source: try source.client(environment: environment, attempts: Self.checkAttempts), backup: destination)
        guard kind == "backup" else { return (self, []) }
        let bucket = try backup.location().bucket
        if !allowUnversioned { try await Self.checkVersioned(destination, bucket: bucket) }
        var prepared = self
        do {
            prepared.lock = try await LockPolicy.read(bucket: bucket, from: destination)
        } catch let error as S3Error where error.code == "AccessDenied" {
            // A nightly policy from before Object Lock: the run goes on unlocked, and says so.
            prepared.lock = nil
            return (prepared, ["s3://\(bucket)'s Object Lock policy could not be read (\(error.operation ?? "GetBucketTagging"): AccessDenied), so copies are "
                + "not locked; give the nightly role s3:GetBucketTagging and s3:GetBucketObjectLockConfiguration (ops/iam/backup-role.json)"])
        }
        return (prepared, [])
    }

    /// How many times each request of these checks is tried unless the user set a number: they happen once per run,
    /// and no task retries them, so a throttled or reset check (three tries in a row, about 1 in 125 at a 20 % fault
    /// rate) would cost the whole night.
    static let checkAttempts = 8

    /// Throws `BackupError.unversionedBackup` unless `bucket` has versioning enabled: without it an overwrite or a
    /// delete of a backup object loses the only copy. https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
    static func checkVersioned(_ client: any ObjectStore, bucket: String) async throws {
        let status = try await client.getBucketVersioning(bucket)
        guard status == .enabled else {
            throw BackupError.unversionedBackup(bucket: bucket, status: status == .suspended ? "suspended" : "off")
        }
    }
}
