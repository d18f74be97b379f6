import Foundation
import S3
import Spawn
import Testing

/// `status --watch` on a pseudo-terminal (util-linux's `script`) while a backup runs: the screen names the worker
/// process and what it holds, its counts change, it is drawn in place on the alternate screen, and Ctrl-C (the
/// terminal's interrupt character, sent through the pty) ends it with the terminal put back and status 0.
@Suite("status --watch on a terminal", .timeLimit(.minutes(5)))
struct StatusWatchTests {
    @Test func theScreenFollowsARunAndCtrlCEndsIt() async throws {
        let fixture = try await BackupFixture("watch")
        defer { fixture.remove() }
        try await fixture.seed(600)  // six tasks of 100, each held for a few frames even when the watch starts late
        let backup = try ChildProcess(Repository.binary.path, [
            "run", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)", "--db", fixture.database,
            "--workers", "1", "--concurrency", "1", "--log-dir", fixture.logDirectory,
        ] + fixture.flags, environment: fixture.environment, stdin: .null, stdout: .null, stderr: .null)
        defer {
            if backup.isRunning { backup.signal(SIGKILL) }
            backup.waitUntilExit()
        }
        // The queue exists once the run has begun.
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: fixture.database) { try await Task.sleep(for: .milliseconds(50)) }

        let input = Pipe(), output = Pipe()
        let screen = LockedBox("")
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            screen.mutate { $0 += String(decoding: data, as: UTF8.self) }
        }
        let watch = try ChildProcess("/usr/bin/script", [
            "-qfec", "stty cols 160 rows 40; exec \(Repository.binary.path) status --db \(fixture.database) --watch", "/dev/null",
        ], environment: fixture.environment.merging(["TERM": "xterm"]) { $1 }, stdin: .pipe(input), stdout: .pipe(output),
           stderr: .null)
        defer {
            if watch.isRunning { watch.signal(SIGKILL) }
            watch.waitUntilExit()
            output.fileHandleForReading.readabilityHandler = nil
        }

        // Frames until one shows the worker holding a task and the succeeded count has changed between frames.
        var counts: Set<String> = [], sawWorker = false
        for _ in 0..<300 where !(sawWorker && counts.count >= 2) {
            try await Task.sleep(for: .milliseconds(100))
            let frames = screen.value.components(separatedBy: "\u{1B}[H").dropFirst()
            sawWorker = frames.contains { $0.contains("workers: 1 holding") && $0.range(of: #"pid \d+: task \d+ \(copy, attempt 1\) since \d\d:\d\d:\d\d"#, options: .regularExpression) != nil }
            counts = Set(frames.compactMap { frame in
                frame.range(of: #"tasks: \d+ ready, \d+ running, \d+ succeeded"#, options: .regularExpression).map { String(frame[$0]) }
            })
        }
        #expect(sawWorker, "a frame names the worker process and what it holds: \(screen.value.components(separatedBy: "\u{1B}[H").filter { $0.contains("holding 1") }.prefix(2))")
        #expect(counts.count >= 2, "the counts changed between frames: \(counts)")
        #expect(screen.value.hasPrefix("\u{1B}[?1049h\u{1B}[?25l"), "drawn on the alternate screen, cursor hidden")
        #expect(screen.value.contains("run 1  backup  s3://\(fixture.primary) → s3://\(fixture.backup)"))
        #expect(screen.value.contains("rate: now "), "a rate over the last second")

        try input.fileHandleForWriting.write(contentsOf: Data([0x03]))  // Ctrl-C
        for _ in 0..<100 where watch.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!watch.isRunning, "Ctrl-C ended it")
        if !watch.isRunning {
            #expect(watch.termination == .exited(0))
            #expect(screen.value.contains("\u{1B}[?25h\u{1B}[?1049l"), "the cursor and the screen are put back")
        }
    }
}
