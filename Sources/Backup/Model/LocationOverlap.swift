import S3

/// The rule that keeps a run's two locations apart: a backup into its own source keeps no copy (the same
/// location), copies itself into itself every night (the backup inside the source), or deletes the source's own
/// objects as "only in the backup" (the source inside the backup).
public enum LocationOverlap {
    /// Why `source` and `backup`, reached at `sourceEndpoint` and `backupEndpoint`, must not be used together, or
    /// nil when they are apart. `names` are the flags the user gave them with (`--source`, `--from`, …). Locations
    /// of different endpoints never overlap; on one endpoint a bucket name is one bucket whoever asks.
    public static func problem(source: S3URL, sourceEndpoint: Endpoint, backup: S3URL, backupEndpoint: Endpoint,
                               names: (source: String, backup: String)) -> String? {
        guard sourceEndpoint == backupEndpoint else { return nil }
        let (source, backup) = (source.folder, backup.folder)
        let shown = "\(names.source) \(source) and \(names.backup) \(backup)"
        switch (source.contains(backup), backup.contains(source)) {
        case (true, true):
            return "\(shown) are the same location: a copy into itself keeps nothing; give \(names.backup) another bucket"
        case (true, false):
            let nested = backup.prefix + String(decoding: backup.prefix.utf8.dropFirst(source.prefix.utf8.count), as: UTF8.self)
            return "\(shown) overlap: \(names.backup) is inside \(names.source), so every run would copy the copies again "
                + "(\(nested)…); give \(names.backup) another bucket or a prefix beside \(names.source)'s"
        case (false, true):
            return "\(shown) overlap: \(names.source) is inside \(names.backup), so its own objects would count as extra "
                + "there and be deleted; give \(names.backup) another bucket or a prefix beside \(names.source)'s"
        case (false, false):
            return nil
        }
    }
}

extension RunParameters {
    /// The flags a user names this run's locations with.
    var locationNames: (source: String, backup: String) {
        kind == "restore" ? ("--from", "--to") : ("--source", "--backup")
    }

    /// Throws `BackupError.overlappingLocations` when the run's locations, reached by these stores, share keys.
    func checkApart(source: any ObjectStore, backup: any ObjectStore) throws {
        if let problem = LocationOverlap.problem(source: try self.source.location(), sourceEndpoint: source.endpoint,
                                                 backup: try self.backup.location(), backupEndpoint: backup.endpoint,
                                                 names: locationNames) {
            throw BackupError.overlappingLocations(problem)
        }
    }
}
