import Spawn

/// Runs a shell command line (`/bin/sh -c`), its output discarded, and waits for it; true when it exited 0.
public func shellRun(_ command: String) -> Bool {
    guard let child = try? ChildProcess("/bin/sh", ["-c", command], stdin: .null, stdout: .null, stderr: .null) else { return false }
    return child.waitUntilExit().succeeded
}
