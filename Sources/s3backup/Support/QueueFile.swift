import Queue

/// Opens (creating and migrating if needed) the queue at `location`, a SQLite file or a PostgreSQL database, with
/// task leases of `leaseSeconds` (the planner's lease lasts as long).
func openQueue(_ location: String, leaseSeconds: Int) throws -> any TaskQueue {
    var settings = QueueSettings()
    settings.leaseDuration = .seconds(leaseSeconds)
    settings.log = Log.standardError
    return try QueueLocation(location).open(settings: settings)
}

/// The queue at `location` when one is there already (a dry run or a preview reads its catalog, and makes none).
func existingQueue(_ location: String?) throws -> (any TaskQueue)? {
    guard let location else { return nil }
    do {
        return try QueueLocation(location).open(create: false)
    } catch let error as QueueError where error.kind == .notFound {
        return nil
    }
}
