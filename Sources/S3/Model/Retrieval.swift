/// How fast S3 brings an archived object back (RestoreObject's `Tier`); each has its own time and price.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects-retrieval-options.html
public enum RetrievalTier: String, Sendable, Codable, CaseIterable {
    /// Minutes, at the highest price; GLACIER and Intelligent-Tiering's Archive Access only.
    case expedited = "Expedited"
    /// Hours: S3's default.
    case standard = "Standard"
    /// The slowest and cheapest.
    case bulk = "Bulk"

    /// Whether S3 offers this tier for an object of `storageClass` in `archiveStatus` (nil: not Intelligent-Tiering):
    /// DEEP_ARCHIVE and the Deep Archive Access tier have no Expedited.
    public func isOffered(storageClass: String, archiveStatus: String?) -> Bool {
        self != .expedited || (storageClass != "DEEP_ARCHIVE" && archiveStatus != "DEEP_ARCHIVE_ACCESS")
    }
}

/// An archived object's retrieval as HeadObject tells it (`x-amz-restore`): under way, or done and readable until
/// the temporary copy expires. https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html#AmazonS3-HeadObject-response-header-Restore
public enum RetrievalState: Sendable, Equatable {
    /// `ongoing-request="true"`.
    case ongoing
    /// `ongoing-request="false"`, with the temporary copy's `expiry-date` where S3 says it.
    case done(expiry: String?)

    /// The state a header value says; nil for a value that says neither.
    public init?(header: String) {
        let text = header.lowercased().filter { !$0.isWhitespace }
        if text.contains("ongoing-request=\"true\"") {
            self = .ongoing
        } else if text.contains("ongoing-request=\"false\"") {
            let expiry = header.range(of: "expiry-date=\"").flatMap { start in
                header[start.upperBound...].split(separator: "\"", maxSplits: 1).first.map(String.init)
            }
            self = .done(expiry: expiry)
        } else {
            return nil
        }
    }
}

/// How S3 took a RestoreObject request. https://docs.aws.amazon.com/AmazonS3/latest/API/API_RestoreObject.html
public enum RetrievalRequest: Sendable, Equatable {
    /// 202 Accepted: the retrieval starts.
    case accepted
    /// 200 OK: the object was already retrieved (its temporary copy's life is set anew).
    case alreadyDone
    /// 409 RestoreAlreadyInProgress: someone asked before; not asked again.
    case alreadyInProgress
}

extension ObjectInfo {
    /// Whether reading or copying the object needs a retrieval first: it is in GLACIER or DEEP_ARCHIVE, or in an
    /// Intelligent-Tiering archive tier (`x-amz-archive-status`), and no retrieval of it is done.
    public var needsRetrieval: Bool {
        guard StorageClass.archived.contains(storageClass) || archiveStatus != nil else { return false }
        if case .done = retrieval { return false }
        return true
    }
}
