import Queue

/// Opens the queue at `path` with task leases of `leaseSeconds` (the planner's lease lasts as long).
func openQueue(_ path: String, leaseSeconds: Int) throws -> SQLiteQueue {
    var settings = QueueSettings()
    settings.leaseDuration = .seconds(leaseSeconds)
    return try SQLiteQueue(path: path, settings: settings)
}
