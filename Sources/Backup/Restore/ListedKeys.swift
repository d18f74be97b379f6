/// What becomes of the keys a restore is given (`--keys-from`), so that none is lost silently. After planning, each
/// listed key is to be copied (the backup holds it, the primary lacks it or holds it differently), unchanged (both
/// hold it alike), or deleted (with `--delete`, deletes allowed: the primary holds it, the backup does not); any other
/// is not in the backup (with `--as-of`: not at that moment), is named, and makes the restore partial.
public struct ListedKeys: Codable, Sendable, Equatable {
    /// The file the keys came from.
    public var file: String
    /// The moment the backup is read at, if not now.
    public var asOf: String?
    /// Keys listed (each once).
    public var listed: Int
    /// Of them, to be copied into the primary (missing or different there).
    public var toCopy: Int
    /// Of them, the same on both sides.
    public var unchanged: Int
    /// Of them, to be deleted from the primary (not in the backup; with `--delete`).
    public var toDelete: Int
    /// Of them, those the backup does not hold (at `asOf`) and the restore does not delete, in the file's order.
    public var notInBackup: [String]

    /// The rule, applied to a plan of `list`: `copies` are the listed keys it copies, `onlyInPrimary` those only the
    /// primary holds (deleted when `deletes`), `unchanged` those of the rest the primary holds (so the backup holds
    /// them alike: anything else would have been copied or found only in the primary).
    public init(list: KeyList, asOf: String?, copies: [String], onlyInPrimary: [String], deletes: Bool, unchanged: [String]) {
        let copied = Set(copies.map { Array($0.utf8) }), primaryOnly = Set(onlyInPrimary.map { Array($0.utf8) })
        let same = Set(unchanged.map { Array($0.utf8) })
        file = list.path
        self.asOf = asOf
        listed = list.keys.count
        var counts = (copy: 0, same: 0, delete: 0), missing: [String] = []
        for key in list.keys {
            let bytes = Array(key.utf8)
            if copied.contains(bytes) {
                counts.copy += 1
            } else if primaryOnly.contains(bytes) {
                if deletes { counts.delete += 1 } else { missing.append(key) }
            } else if same.contains(bytes) {
                counts.same += 1
            } else {
                missing.append(key)
            }
        }
        toCopy = counts.copy
        self.unchanged = counts.same
        toDelete = counts.delete
        notInBackup = missing
    }

    /// The listed keys a plan neither copies nor finds only in the primary: each is either unchanged or in neither
    /// location, which a plan cannot tell apart (it hands neither to its sink). When as many as the plan counted
    /// unchanged, all are; otherwise asking the primary for each tells.
    public static func undecided(_ list: KeyList, copies: [String], onlyInPrimary: [String]) -> [String] {
        let decided = Set((copies + onlyInPrimary).map { Array($0.utf8) })
        return list.keys.filter { !decided.contains(Array($0.utf8)) }
    }

    /// Lines for a person: the accounting, and the first `limit` keys not in the backup.
    public func lines(limit: Int = KeySample.textLimit) -> [String] {
        var lines = ["keys listed in \(file): \(listed); \(toCopy) to copy, \(unchanged) unchanged, \(toDelete) to delete, "
            + "\(notInBackup.count) not in the backup\(asOf.map { " as of \($0)" } ?? "")"]
        if !notInBackup.isEmpty {
            let shown = notInBackup.prefix(limit).map(\.debugDescription).joined(separator: ", ")
            let more = notInBackup.count - min(limit, notInBackup.count)
            lines.append("  not in the backup, so not restored (the restore is partial, exit 2): " + shown
                + (more > 0 ? " … and \(more) more (the first \(limit) are shown; --json lists them all)" : ""))
        }
        return lines
    }
}
