import CLinux
import Foundation

/// Keeps the keys this process holds (AWS credentials, the SMTP password) out of core files and out of other
/// processes' reach. Called first thing at start-up, by every command: the workers `run` starts are this program too.
public enum ProcessHardening {
    /// Makes this process non-dumpable and its core file limit 0; `warn` hears what could not be done.
    ///
    /// Non-dumpable (prctl PR_SET_DUMPABLE 0): no core file whatever the limit or core_pattern, and other processes
    /// of the same user can neither ptrace this one nor read its /proc/PID/mem or environ. Limit 0 (RLIMIT_CORE,
    /// soft and hard): the same for children, and for a core_pattern helper that honours the limit.
    /// https://man7.org/linux/man-pages/man2/prctl.2.html (PR_SET_DUMPABLE)
    public static func apply(warn: (String) -> Void) {
        var limit = rlimit(rlim_cur: 0, rlim_max: 0)
        if setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &limit) != 0 {
            warn("warning: cannot set the core file limit to 0 (setrlimit: \(String(cString: strerror(errno)))); "
                + "set it where s3backup is started (ulimit -c 0, LimitCORE=0)")
        }
        if s3b_set_undumpable() != 0 {
            warn("warning: cannot make this process non-dumpable (prctl: \(String(cString: strerror(errno))))")
        }
    }
}
