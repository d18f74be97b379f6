import Foundation
import Spawn
import Testing

@Suite("Programs started with posix_spawn", .timeLimit(.minutes(1)))
struct ChildProcessTests {
    @Test func anExitStatusAndTheOutputComeBack() throws {
        let out = Pipe(), err = Pipe()
        let child = try ChildProcess("/bin/sh", ["-c", "echo to-out; echo to-err >&2; exit 7"], stdout: .pipe(out), stderr: .pipe(err))
        // The pipes' writing ends are the child's alone: end-of-file comes when it exits.
        #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "to-out\n")
        #expect(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "to-err\n")
        #expect(child.waitUntilExit() == .exited(7))
        #expect(!child.isRunning && child.termination == .exited(7) && child.termination?.shellStatus == 7)
    }

    @Test func theEnvironmentIsExactlyTheOneGiven() throws {
        let printed = try ChildProcess.output(of: "/usr/bin/env", [], environment: ["ONLY": "this one", "EMPTY": ""])
        #expect(Set(printed.split(separator: "\n")) == ["ONLY=this one", "EMPTY="])
        let inherited = try ChildProcess.output(of: "/usr/bin/env", [])
        #expect(inherited.contains("PATH="))
    }

    @Test func argumentsArriveAsGiven() throws {
        let arguments = ["a b", "", "ü\"'$HOME", "-n"]
        let printed = try ChildProcess.output(of: "/usr/bin/printf", ["%s\\0"] + arguments)
        #expect(printed.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init) == arguments)
    }

    @Test func aSignalEndsItAndIsReported() throws {
        let child = try ChildProcess("/bin/sleep", ["30"])
        #expect(child.isRunning)
        child.signal()
        #expect(child.waitUntilExit() == .signaled(SIGTERM))
        #expect(child.termination?.shellStatus == 128 + SIGTERM)
        // Reaped: signalling it again does nothing (its pid may be another's now).
        child.signal(SIGKILL)
        #expect(child.termination == .signaled(SIGTERM))
    }

    @Test func onlyTheStandardDescriptorsAreInheritedAndSignalsStartAtTheirDefaults() throws {
        // Open, inheritable descriptors in this process that the child must not get; SIGUSR1 ignored and SIGUSR2
        // blocked here, which the child must not inherit.
        let kept = Pipe()
        let file = try #require(FileHandle(forReadingAtPath: "/etc/hostname"))
        defer { try? file.close() }
        signal(SIGUSR1, SIG_IGN)
        defer { signal(SIGUSR1, SIG_DFL) }
        var blocked = sigset_t(), previous = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGUSR2)
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }

        let report = try withExtendedLifetime(kept) {
            try ChildProcess.output(of: "/bin/sh", ["-c", "ls /proc/self/fd; grep -E '^Sig(Blk|Ign)' /proc/self/status"])
        }
        let lines = report.split(separator: "\n")
        // 0, 1, 2, and the one `ls` opens to list the directory.
        #expect(lines.filter { Int($0) != nil }.count == 4, "\(report)")
        let ignored = lines.first { $0.hasPrefix("SigIgn:") }.flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) }
        let mask = lines.first { $0.hasPrefix("SigBlk:") }.flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) }
        #expect(try #require(ignored) & (1 << (UInt64(SIGUSR1) - 1)) == 0, "\(report)")
        #expect(try #require(mask) & (1 << (UInt64(SIGUSR2) - 1)) == 0, "\(report)")
    }

    @Test func itLeadsAProcessGroupOfItsOwn() throws {
        let child = try ChildProcess("/bin/sleep", ["30"], stdin: .null, stdout: .null, stderr: .null)
        defer { child.signal(SIGKILL); child.waitUntilExit() }
        #expect(getpgid(child.pid) == child.pid)
    }

    @Test func standardStreamsGoToFilesOrNowhere() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spawn-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try #require(FileHandle(forWritingAtPath: path))
        let child = try ChildProcess("/bin/sh", ["-c", "cat; echo written; echo hidden >&2"], stdin: .null, stdout: .file(file),
                                     stderr: .null)
        #expect(child.waitUntilExit().succeeded)
        try file.close()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "written\n")
    }

    @Test func aProgramThatCannotStartSaysWhich() throws {
        let error = try #require(throws: SpawnError.self) { try ChildProcess("/nonexistent/program", []) }
        #expect(error.description.contains("/nonexistent/program") && error.description.contains("No such file"))
        let failed = try #require(throws: SpawnError.self) { try ChildProcess.output(of: "/bin/sh", ["-c", "exit 3"]) }
        #expect(failed.description == "/bin/sh exited with status 3")
    }

    @Test func manyThreadsAskingAtOnceSeeOneEnd() async throws {
        let child = try ChildProcess("/bin/sh", ["-c", "exit 5"])
        let seen = await withTaskGroup(of: ChildProcess.Termination.self) { group in
            for index in 0..<8 {
                group.addTask {
                    if index.isMultiple(of: 2) { return child.waitUntilExit() }
                    while child.isRunning { try? await Task.sleep(for: .milliseconds(1)) }
                    return child.termination!
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(seen == Array(repeating: .exited(5), count: 8))
    }
}
