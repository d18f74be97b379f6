import Foundation

/// Names processes `host:pid` in leases, so a process can tell a dead holder on its own host from a live one.
public enum ProcessIdentity {
    /// This process: `host:pid`.
    public static var current: String { "\(ProcessInfo.processInfo.hostName):\(getpid())" }

    /// `holder` itself when it names a process on this host that no longer exists; nil otherwise.
    static func deadLocalProcess(_ holder: String) -> String? {
        guard let colon = holder.lastIndex(of: ":"), holder[..<colon] == ProcessInfo.processInfo.hostName,
              let pid = Int32(holder[holder.index(after: colon)...]), pid > 0
        else { return nil }
        return kill(pid, 0) == -1 && errno == ESRCH ? holder : nil
    }
}
