import Foundation

/// A file s3backup takes settings or secrets from (the config file, the SMTP password file), read whole through one
/// descriptor after checking that nobody but the user running s3backup, or root, can change it: whoever could write
/// it could point this process, and the keys it holds, wherever they like.
public struct TrustedFile: Sendable {
    /// The path it was read from.
    public let path: String
    /// Its bytes.
    public let data: Data
    /// Whether every user may read it (a secret in it is then no secret).
    public let readableByOthers: Bool

    /// Opens and reads `path`, which `what` names in messages ("the config file"); `hint` says what to check when
    /// there is no such file. Throws a `ConfigError` when it cannot be read, is not a regular file, or is not trusted.
    public init(path: String, what: String, hint: String) throws {
        // O_NONBLOCK: a FIFO planted at the path must not hang the open; it is refused below as not a regular file.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard descriptor >= 0 else {
            let code = errno
            if code == EACCES {
                throw ConfigError("cannot read \(what) \(path): permission denied; run as a user that may read it "
                    + "(ls -l \(path))")
            }
            throw ConfigError("cannot read \(what) \(path): \(String(cString: strerror(code))); \(hint)")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        // The checks and the read use the same descriptor, so the file checked is the file read.
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ConfigError("cannot read \(what) \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else { throw ConfigError("\(what) \(path) is not a regular file") }
        if let problem = Self.problem(path: path, what: what, mode: status.st_mode, owner: status.st_uid, user: geteuid()) {
            throw ConfigError(problem)
        }
        do {
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw ConfigError("cannot read \(what) \(path): \(error.localizedDescription)")
        }
        self.path = path
        readableByOthers = status.st_mode & S_IROTH != 0
    }

    /// Why a file of `mode` owned by `owner` must not be trusted by a process running as `user`, as one line that ends
    /// with the commands that fix it; nil when only `user` or root can change it.
    public static func problem(path: String, what: String, mode: mode_t, owner: uid_t, user: uid_t) -> String? {
        var reasons: [String] = []
        var fixes: [String] = []
        if owner != user, owner != 0 {
            let you = user == 0 ? "root" : "you (\(described(user))) or root"
            reasons.append("it belongs to \(described(owner)), not to \(you)")
            fixes.append("chown \(name(of: user) ?? String(user)) \(path)")
        }
        let writers = [(S_IWGRP, "its group"), (S_IWOTH, "every user")].filter { mode & $0.0 != 0 }.map(\.1)
        if !writers.isEmpty {
            let permissions = String(mode & 0o7777, radix: 8)
            reasons.append("\(writers.joined(separator: " and ")) can write to it (mode "
                + "\(String(repeating: "0", count: max(0, 4 - permissions.count)) + permissions))")
            fixes.append("chmod go-w \(path)")
        }
        guard !reasons.isEmpty else { return nil }
        return "refusing \(what) \(path): \(reasons.joined(separator: ", and ")), so others could change what s3backup "
            + "does; run: \(fixes.joined(separator: " && "))"
    }

    /// `bob (uid 1001)`, or `uid 1001` for a user the system does not name.
    private static func described(_ uid: uid_t) -> String {
        name(of: uid).map { "\($0) (uid \(uid))" } ?? "uid \(uid)"
    }

    /// The user's name in the password database, if it has one.
    private static func name(of uid: uid_t) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4_096) { buffer in
            guard getpwuid_r(uid, &entry, buffer.baseAddress!, buffer.count, &result) == 0, result != nil,
                  let name = entry.pw_name else { return nil }
            return String(cString: name)
        }
    }
}
