import ArgumentParser
import Backup
import S3

/// How archived objects (GLACIER, DEEP_ARCHIVE, Intelligent-Tiering's archive tiers) are retrieved before they are
/// copied: the flags `restore` and `run --restore-archived` share.
struct ArchiveOptions: ParsableArguments {
    @Option(help: "Retrieval tier for archived objects: Expedited (minutes; not from DEEP_ARCHIVE), Standard (hours) or Bulk (cheapest, slowest).")
    var archiveTier: RetrievalTier = .standard
    @Option(help: "Days S3 keeps a retrieved GLACIER or DEEP_ARCHIVE object readable (Intelligent-Tiering moves it back instead).")
    var archiveDays = 2

    func validate() throws {
        guard archiveDays >= 1 else { throw ValidationError("--archive-days must be at least 1") }
    }

    /// The retrieval asked for.
    var retrieval: ArchiveRetrieval { ArchiveRetrieval(tier: archiveTier, days: archiveDays) }
}

extension RetrievalTier: ExpressibleByArgument {
    /// The tier by S3's name, in any case.
    public init?(argument: String) {
        guard let tier = RetrievalTier.allCases.first(where: { $0.rawValue.lowercased() == argument.lowercased() }) else { return nil }
        self = tier
    }

    /// S3's names.
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
