import Foundation

/// Which processes hold locks on a queue file, read from /proc/locks (Linux), to name the process that keeps
/// the queue locked. SQLite locks with POSIX advisory locks: the database file itself and, in WAL mode, its
/// `-shm` file. https://www.sqlite.org/lockingv3.html, https://man7.org/linux/man-pages/man5/proc.5.html
enum LockHolders {
    /// "pid 1234 (python3)" for each other process holding a lock on `path`, its `-wal` or `-shm` file.
    static func of(_ path: String, locks: String? = try? String(contentsOfFile: "/proc/locks", encoding: .utf8)) -> [String] {
        let inodes = Set([path, path + "-wal", path + "-shm"].compactMap { file -> UInt64? in
            var status = stat()
            return stat(file, &status) == 0 ? UInt64(status.st_ino) : nil
        })
        let me = getpid()
        var pids: [Int32] = []
        for line in (locks ?? "").split(separator: "\n") {
            // "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF" (a "->" marks a waiter, which holds nothing).
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] != "->", let pid = Int32(fields[4]), pid != me,
                  let inode = fields[5].split(separator: ":").last.flatMap({ UInt64($0) }), inodes.contains(inode),
                  !pids.contains(pid) else { continue }
            pids.append(pid)
        }
        return pids.map { pid in
            let name = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return "pid \(pid)" + (name.map { " (\($0))" } ?? "")
        }
    }
}
