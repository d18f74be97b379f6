import ArgumentParser
import Backup
import Foundation
import Queue
import S3

extension S3Backup {
    /// `s3backup status`: runs and their tasks.
    struct Status: S3BackupCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show runs: tasks by state, the age of the oldest waiting task, throughput, retries, retrievals waited for.",
            discussion: "Example: s3backup status --db /var/lib/s3backup/queue.db --watch\n\n"
                + "With --watch on a terminal the screen is redrawn every second until Ctrl-C: the run going on (or --run), its "
                + "prefixes still being listed, tasks by state, objects/s and bytes/s now and on average, the ETA, each worker "
                + "process and what it holds since when, the fleet's throttle level, dead tasks as they happen. Without a "
                + "terminal it prints the runs once.\n\n"
                + ConfigFile.helpText(for: "status") + "\n\n"
                + ExitStatus.helpText(for: ExitStatus.everyCommand)
        )

        @OptionGroup var queue: QueueOptions
        @Option(help: "How many runs, newest first.") var limit = 10
        @Flag(help: "On a terminal, redraw the run going on every second until Ctrl-C.") var watch = false
        @Option(help: "The run --watch follows (default: the newest one planning or running, else the newest).") var run: RunID?

        func execute() async throws {
            if watch, !queue.json, isatty(STDOUT_FILENO) == 1 { return try await Watch(queue: try queue.openExisting(), run: run).execute() }
            let runs = try await queue.openExisting().runs(limit: limit)
            try queue.emit(["runs": runs]) {
                runs.isEmpty ? "no runs in \(queue.shownLocation)" : runs.map(Status.describe).joined(separator: "\n")
            }
        }

        static func describe(_ run: RunSummary) -> String {
            let counts = TaskState.allCases.map { "\(run.tasks[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
            var lines = [
                "run \(run.id)  \(run.kind)  \(run.source) → \(run.destination)  \(run.state.rawValue)  "
                    + "created \(run.createdAt.formatted(.iso8601))"
                    + (run.finishedAt.map { "  finished \($0.formatted(.iso8601))" } ?? ""),
                "  tasks: \(counts)  oldest waiting: "
                    + (run.oldestReadySeconds.map { String(format: "%.0f s", $0) } ?? "none")
                    + String(format: "  throughput: %.1f tasks/min (last 5 min)", run.tasksPerMinute),
            ]
            lines.append("  retries: \(run.retries) of tasks, \(run.requestRetries) of S3 requests (\(run.throttledRequests) throttled)")
            if let next = run.waiting.nextCheck {
                lines.append("  waiting: \(run.waiting.tasks) task(s) for \(run.waiting.objects) archived object(s) S3 is retrieving; "
                    + "next check \(next.formatted(.iso8601))")
            }
            if let note = run.note { lines.append("  note: \(note)") }
            return lines.joined(separator: "\n")
        }
    }
}

/// `status --watch`: the screen, redrawn in place every second on the terminal's alternate screen (so nothing piles
/// up in the scrollback), the cursor hidden; Ctrl-C (or SIGTERM) puts the terminal back and exits 0.
private struct Watch {
    let queue: any TaskQueue
    let run: RunID?

    func execute() async throws {
        let stop = LockedBox(false)
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.mutate { $0 = true } }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        Self.write("\u{1B}[?1049h\u{1B}[?25l")
        defer { Self.write("\u{1B}[?25h\u{1B}[?1049l") }
        var previous: LiveStatus?
        while !stop.value {
            var lines: [String]
            do {
                if let followed = try await LiveStatus.followed(run, in: queue) {
                    let look = try await LiveStatus.look(at: followed, in: queue)
                    lines = look.lines(previous: previous, width: Self.columns())
                    previous = look
                } else {
                    lines = [run.map { "there is no run \($0) in \(queue.location)" } ?? "no runs in \(queue.location)"]
                }
            } catch {
                lines = (previous?.lines(previous: nil, width: Self.columns()) ?? []) + ["(could not read the queue: \(error); trying again)"]
            }
            // Home, each line cleared to its end, everything below cleared: the screen changes only where it differs.
            Self.write("\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\r\n") + "\u{1B}[J")
            for _ in 0..<10 where !stop.value { try? await Task.sleep(for: .milliseconds(100)) }
        }
    }

    private static func write(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }

    /// The terminal's width in columns (80 when it does not say). https://man7.org/linux/man-pages/man2/TIOCGWINSZ.2const.html
    private static func columns() -> Int {
        var size = winsize()
        return ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
    }
}
