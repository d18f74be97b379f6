import S3

/// A restore as asked for: the backup copied back into the primary, all of it, some folders of it, or only the keys
/// of a list, each key as it is now or as it was at a moment. It makes the runs that do it: one per folder.
public struct RestoreRequest: Sendable {
    /// `s3://BACKUP[/PREFIX]`.
    public var from: String
    /// `s3://PRIMARY[/PREFIX]`.
    public var to: String
    /// Folders under both prefixes to restore (`clients/007` is `clients/007/`); none: everything.
    public var prefixes: [String] = []
    /// Only these keys (relative to both prefixes), when a list was given.
    public var keys: KeyList?
    /// The moment to restore each key as, in any ISO 8601 form `S3Time` reads; nil: as the backup holds it now.
    public var asOf: String?
    /// Whether objects of the primary that the backup lacks (lacked at `asOf`) are deleted.
    public var delete = false
    /// The endpoint, profile and region of both sides (its `url` is not used).
    public var connection = Side(url: "")
    /// The primary's server-side encryption for the restored copies: `AES256`, `aws:kms` or `none`.
    public var encryption = "AES256"
    /// The KMS key for `aws:kms`.
    public var kmsKeyID: String?
    /// The storage class of the restored copies.
    public var storageClass = "STANDARD"
    /// How archived objects of the backup are retrieved before they are copied.
    public var retrieval = ArchiveRetrieval()

    /// A restore from `from` into `to`.
    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }

    /// The runs of the restore, one per prefix: backup/PREFIX → primary/PREFIX, copied as `storageClass` (archived
    /// objects retrieved first), deleting in the
    /// primary only when asked, and then without a cap (the operator asked for exactly this).
    public func runs() throws -> [RunParameters] {
        // Folders, so a prefix lands under them: s3://b/bk with the prefix x/ is s3://b/bk/x/.
        let source = try S3URL(from).folder, target = try S3URL(to).folder
        return (prefixes.isEmpty ? [""] : prefixes).map { prefix in
            var parameters = RunParameters(source: side("s3://\(source.bucket)/\(source.prefix + prefix)"),
                                           backup: side("s3://\(target.bucket)/\(target.prefix + prefix)"))
            parameters.kind = "restore"
            parameters.storageClass = storageClass
            parameters.retrieval = retrieval
            parameters.encryption = encryption
            parameters.kmsKeyID = kmsKeyID
            parameters.mirrorDeletes = delete
            parameters.maxDelete = .percent(100)
            parameters.asOf = asOf.flatMap(S3Time.parse).map(S3Time.string)
            parameters.onlyKeys = keys?.keys
            return parameters
        }
    }

    /// One side at `url` (in its folder form, as `Side` keeps it), reached as `connection` says.
    private func side(_ url: String) -> Side {
        Side(url: url, endpointURL: connection.endpointURL, profile: connection.profile, region: connection.region)
    }
}
