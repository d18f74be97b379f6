import Foundation
import Testing
@testable import Settings

/// Files only the user or root can change are read; any other is refused with the commands that fix it.
@Suite(.timeLimit(.minutes(1))) struct TrustedFileTests {
    private let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("s3backup-trust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Mode, owner, user → the refusal's parts (nil: trusted). Uids 4242 and 4343 name no user on a test machine.
    @Test(arguments: [
        (0o600, 4242, 4242, nil),
        (0o644, 4242, 4242, nil),
        (0o640, 0, 4242, nil),
        (0o400, 0, 0, nil),
        (0o620, 4242, 4242, "its group can write to it (mode 0620), so others could change what s3backup does; run: chmod go-w /f"),
        (0o602, 0, 4242, "every user can write to it (mode 0602)"),
        (0o666, 4242, 4242, "its group and every user can write to it (mode 0666)"),
        (0o1777, 0, 0, "(mode 1777)"),
        (0o600, 4343, 4242, "it belongs to uid 4343, not to you (uid 4242) or root, so others could change what s3backup does; run: chown 4242 /f"),
        (0o600, 4343, 0, "it belongs to uid 4343, not to root, so others could change what s3backup does; run: chown root /f"),
        (0o660, 4343, 0, "it belongs to uid 4343, not to root, and its group can write to it (mode 0660), so others could change what s3backup does; run: chown root /f && chmod go-w /f"),
    ] as [(Int, Int, Int, String?)])
    func whoMayChangeTheFileDecides(mode: Int, owner: Int, user: Int, expected: String?) {
        let problem = TrustedFile.problem(path: "/f", what: "the config file", mode: mode_t(mode), owner: uid_t(owner),
                                          user: uid_t(user))
        if let expected {
            #expect(problem?.hasPrefix("refusing the config file /f: ") == true, "\(problem ?? "nil")")
            #expect(problem?.contains(expected) == true, "\(problem ?? "nil")")
        } else {
            #expect(problem == nil)
        }
    }

    private func file(_ text: String, mode: Int) throws -> String {
        let path = directory.appendingPathComponent("file-\(mode)").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    private func refusal(_ path: String) -> String {
        do {
            _ = try TrustedFile(path: path, what: "the config file", hint: "check --config")
            return "read"
        } catch {
            return "\(error)"
        }
    }

    @Test func aRealFileIsCheckedThroughTheDescriptorItIsReadFrom() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let closed = try TrustedFile(path: try file("secret", mode: 0o600), what: "the config file", hint: "")
        #expect(closed.data == Data("secret".utf8) && !closed.readableByOthers)
        #expect(try TrustedFile(path: try file("x", mode: 0o604), what: "the config file", hint: "").readableByOthers)
        let writable = try file("x", mode: 0o664)
        #expect(refusal(writable) == "refusing the config file \(writable): its group can write to it (mode 0664), so "
            + "others could change what s3backup does; run: chmod go-w \(writable)")
        #expect(refusal(directory.path) == "the config file \(directory.path) is not a regular file")
        let fifo = directory.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(refusal(fifo) == "the config file \(fifo) is not a regular file", "a FIFO is refused, not waited on")
        let missing = directory.appendingPathComponent("missing").path
        #expect(refusal(missing) == "cannot read the config file \(missing): No such file or directory; check --config")
    }
}
