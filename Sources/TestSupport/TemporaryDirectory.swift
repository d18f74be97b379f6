import Foundation

/// A directory of its own for one test, removed with everything in it when the value goes.
public final class TemporaryDirectory: Sendable {
    /// Its path.
    public let path: String

    /// A new, empty directory under the system's temporary directory.
    public init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("s3backup-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The path of `name` in it.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
