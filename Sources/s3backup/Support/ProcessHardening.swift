import Foundation

/// Keeps the keys this process holds (AWS credentials, the SMTP password) out of core files and out of other
/// processes' reach. Called first thing at start-up, by every command: the workers `run` starts are this program too.
enum ProcessHardening {
    /// prctl(2) options, from <linux/prctl.h>.
    private static let setDumpable: Int32 = 4

    /// Makes this process non-dumpable and its core file limit 0; says on standard error what could not be done.
    ///
    /// Non-dumpable (prctl PR_SET_DUMPABLE 0): no core file whatever the limit or core_pattern, and other processes
    /// of the same user can neither ptrace this one nor read its /proc/PID/mem or environ. Limit 0 (RLIMIT_CORE,
    /// soft and hard): the same for children, and for a core_pattern helper that honours the limit.
    /// https://man7.org/linux/man-pages/man2/prctl.2.html (PR_SET_DUMPABLE)
    static func apply() {
        var limit = rlimit(rlim_cur: 0, rlim_max: 0)
        if setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &limit) != 0 {
            StandardError.say("warning: cannot set the core file limit to 0 (setrlimit: \(String(cString: strerror(errno)))); "
                + "set it where s3backup is started (ulimit -c 0, LimitCORE=0)")
        }
        guard let prctl = prctlFunction() else {
            StandardError.say("warning: cannot find prctl(2) to make this process non-dumpable; set LimitCORE=0 "
                + "where s3backup is started")
            return
        }
        if prctl(setDumpable, 0, 0, 0, 0) != 0 {
            StandardError.say("warning: cannot make this process non-dumpable (prctl: \(String(cString: strerror(errno))))")
        }
    }

    /// The C library's prctl. Swift does not import C variadic functions, and the package has no C target of its own
    /// for a shim; the function is called with its five `unsigned long`-sized arguments, which the x86-64 and AArch64
    /// Linux ABIs pass in the same registers whether the callee is variadic or not (no floating-point arguments).
    private static func prctlFunction() -> (@convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32)? {
        guard let program = dlopen(nil, RTLD_NOW), let symbol = dlsym(program, "prctl") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32).self)
    }
}
