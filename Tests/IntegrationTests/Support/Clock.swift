import Foundation

/// S3 dates objects by whole seconds (LastModified), so a test that needs writes on either side of a moment waits
/// for the wall clock's second to turn, not for a fixed time.
enum WholeSeconds {
    /// Returns once the wall clock is in a later whole second than at the call: everything written before the call is
    /// dated before everything written after the return.
    static func turn() async throws {
        try await waitUntil(Date().timeIntervalSince1970.rounded(.down) + 1)
    }

    /// A moment strictly after every write made before the call and strictly before every write made after the
    /// return: the next whole second, returned once the clock has passed the one after it.
    static func momentBetweenWrites() async throws -> Date {
        let moment = Date().timeIntervalSince1970.rounded(.down) + 1
        try await waitUntil(moment + 1)
        return Date(timeIntervalSince1970: moment)
    }

    /// Sleeps until the wall clock reads at least `seconds` since 1970 (a little after, for the server's clock).
    private static func waitUntil(_ seconds: TimeInterval) async throws {
        let left = seconds - Date().timeIntervalSince1970
        if left > 0 { try await Task.sleep(for: .seconds(left + 0.02)) }
    }
}
