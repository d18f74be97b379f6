import Foundation

/// Refuses database locations where SQLite's WAL mode is unsafe: WAL keeps its index in shared memory, which
/// processes on different hosts do not share, and network file systems' locks are unreliable.
/// https://www.sqlite.org/wal.html ("WAL does not work over a network filesystem")
enum FileSystemCheck {
    /// Network and cluster file systems, by the type /proc/self/mounts gives them.
    static let networkTypes: Set<String> = [
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "coda", "ceph", "gfs2", "ocfs2", "lustre", "glusterfs",
        "fuse.sshfs", "fuse.glusterfs", "fuse.s3fs", "fuse.rclone", "fuse.gcsfuse", "fuse.cephfs", "fuse.juicefs",
        "fuse.goofys", "fuse.mountpoint-s3",
    ]

    /// Throws `unsafeLocation` when the directory that holds `path` is on a network file system.
    static func refuseNetworkFileSystem(for path: String) throws {
        guard let table = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().resolvingSymlinksInPath().path
        if let type = fileSystemType(of: directory, mounts: table), networkTypes.contains(type) {
            throw QueueError(.unsafeLocation(fileSystem: type),
                             "is on a network file system (\(type)); SQLite's WAL mode needs one host's shared memory "
                                 + "and locks: put the queue on a local disk, or, for workers on many hosts, on PostgreSQL: "
                                 + "--db postgresql://… (README, \"Past one host\")",
                             path: path)
        }
    }

    /// The type of the mount that holds `directory` in a /proc/self/mounts table: the longest matching mount point
    /// (the last one when a point is mounted over).
    static func fileSystemType(of directory: String, mounts: String) -> String? {
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            // Spaces and other bytes in mount points are octal escapes: https://man7.org/linux/man-pages/man5/fstab.5.html
            let point = String(fields[1]).replacingOccurrences(of: "\\040", with: " ")
            let inside = point == "/" || directory == point || directory.hasPrefix(point + "/")
            if inside, point.count >= (best?.point.count ?? 0) { best = (point, String(fields[2])) }
        }
        return best?.type
    }
}
