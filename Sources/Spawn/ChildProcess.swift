import CLinux
import Foundation

/// A program started with `posix_spawn`, watched and reaped by its pid.
///
/// Foundation's `Process.run()` on Linux reads past the end of each `readdir` record while it lists /proc/self/fd
/// and now and then crashes the parent (SIGSEGV in memcpy: once in this project's CI; about one run in five of a
/// suite that starts many programs, as reported upstream with Swift 6.3.1:
/// https://github.com/swiftlang/swift-corelibs-foundation/pull/5472). This asks the C library directly and gives
/// the child what `Process` did (its own process group, an empty signal mask, every signal at its default action),
/// and no descriptor but 0, 1 and 2.
/// https://man7.org/linux/man-pages/man3/posix_spawn.3.html
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `ended` is only touched under `lock`.
    /// The child's pid: its own until it is reaped (`termination` is not nil), then free for the system to reuse.
    public let pid: pid_t
    /// The program and its arguments, for messages.
    public let executable: String, arguments: [String]
    private let lock = NSLock()
    private var ended: Termination?

    /// How a child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        /// It exited with this status.
        case exited(Int32)
        /// A signal ended it.
        case signaled(Int32)

        /// Whether it exited with status 0.
        public var succeeded: Bool { self == .exited(0) }

        /// The status a shell would show: the exit status, or 128 plus the signal's number.
        public var shellStatus: Int32 {
            switch self {
            case .exited(let status): status
            case .signaled(let signal): 128 + signal
            }
        }

        public var description: String {
            switch self {
            case .exited(let status): "exited with status \(status)"
            case .signaled(let signal): "ended by signal \(signal) (\(String(cString: strsignal(signal))))"
            }
        }
    }

    /// Where one of the child's standard streams goes.
    public enum Stream {
        /// The same as this process's.
        case inherit
        /// /dev/null.
        case null
        /// This open file (the caller keeps it, and closes it when it likes).
        case file(FileHandle)
        /// One end of this pipe: the reading end for stdin, the writing end for stdout and stderr. This process's copy
        /// of that end is closed once the child has it, so the other end sees end-of-file when the child exits.
        case pipe(Pipe)
    }

    /// Starts `executable` (a path; no search of PATH) with `arguments`, exactly `environment` (this process's
    /// when nil) and the three streams as given.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                stdin: Stream = .inherit, stdout: Stream = .inherit, stderr: Stream = .inherit) throws {
        self.executable = executable
        self.arguments = arguments
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        // In order 0, 1, 2: a stream given as one of this process's 0–2 is read before it is replaced.
        let streams = [(STDIN_FILENO, stdin), (STDOUT_FILENO, stdout), (STDERR_FILENO, stderr)]
        for (target, stream) in streams {
            switch stream {
            case .inherit: break
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
            case .file(let handle): posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target)
            case .pipe(let pipe): posix_spawn_file_actions_adddup2(&actions, Self.childEnd(of: pipe, for: target).fileDescriptor, target)
            }
        }
        // Nothing else this process has open (queue files, sockets, other children's pipes) reaches the child.
        s3b_spawn_close_from(&actions, 3)
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) }
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } }
        defer {
            argv.forEach { free($0) }
            envp?.forEach { free($0) }
        }
        var child = pid_t()
        let status = (argv + [nil]).withUnsafeBufferPointer { argv in
            if let envp {
                (envp + [nil]).withUnsafeBufferPointer { posix_spawn(&child, executable, &actions, &attributes, argv.baseAddress!, $0.baseAddress!) }
            } else {
                posix_spawn(&child, executable, &actions, &attributes, argv.baseAddress!, environ)
            }
        }
        guard status == 0 else { throw SpawnError(executable: executable, code: status) }
        pid = child
        for (target, stream) in streams {
            if case .pipe(let pipe) = stream { try? Self.childEnd(of: pipe, for: target).close() }
        }
    }

    private static func childEnd(of pipe: Pipe, for target: Int32) -> FileHandle {
        target == STDIN_FILENO ? pipe.fileHandleForReading : pipe.fileHandleForWriting
    }

    /// How it ended; nil while it runs. Reaps it once it has exited.
    public var termination: Termination? {
        lock.withLock {
            if ended == nil { ended = reap() }
            return ended
        }
    }

    /// Whether it still runs (an exited child is reaped here).
    public var isRunning: Bool { termination == nil }

    /// Blocks until it exits and returns how. Waits without reaping (`WNOWAIT`), so `isRunning` from other threads
    /// meanwhile neither blocks nor loses the status. https://man7.org/linux/man-pages/man2/waitid.2.html
    @discardableResult
    public func waitUntilExit() -> Termination {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1, errno == EINTR {}
        // Reaped here, or by another thread already (then waitid failed with ECHILD and `ended` is set).
        guard let termination else { preconditionFailure("waitid says \(pid) exited, yet it cannot be reaped") }
        return termination
    }

    /// Sends `signal` (SIGTERM unless told) unless it has been reaped: its pid may be another's by then.
    public func signal(_ signal: Int32 = SIGTERM) {
        lock.withLock {
            if ended == nil { _ = kill(pid, signal) }
        }
    }

    /// How it ended, if it has, reaping it (`waitpid` without waiting); called under `lock`.
    /// https://man7.org/linux/man-pages/man2/waitpid.2.html
    private func reap() -> Termination? {
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, WNOHANG) } while result == -1 && errno == EINTR
        guard result == pid else {
            // 0: still running. ECHILD would mean something reaped it behind this object's back (SIGCHLD ignored, a
            // waitpid(-1)): its status is lost, and its pid may already be another's.
            precondition(result == 0 || errno != ECHILD, "\(executable) (pid \(pid)) was reaped by someone else")
            return nil
        }
        // The <sys/wait.h> macros, which Swift does not import: the low 7 bits are the signal, 0 for an exit.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    /// Runs `executable` with `arguments` to its end (stdin /dev/null, stderr inherited) and returns its stdout;
    /// throws when it cannot start or does not exit with status 0.
    public static func output(of executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
        let pipe = Pipe()
        let child = try ChildProcess(executable, arguments, environment: environment, stdin: .null, stdout: .pipe(pipe))
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        let termination = child.waitUntilExit()
        guard termination.succeeded else { throw SpawnError(executable: executable, termination: termination) }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A program that could not be started, or ended otherwise than asked.
public struct SpawnError: Error, CustomStringConvertible {
    /// What went wrong, and what to check.
    public let description: String

    init(executable: String, code: Int32) {
        description = "cannot start \(executable): \(String(cString: strerror(code))); check that it exists and is executable"
    }

    init(executable: String, termination: ChildProcess.Termination) {
        description = "\(executable) \(termination)"
    }
}
