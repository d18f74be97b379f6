import ArgumentParser
import Foundation
import Queue
import Spawn

/// Drives the queue from real processes: the benchmark in ops/bench and the multi-process tests.
@main
struct QueueBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue-bench",
        abstract: "Measure and exercise the task queue (SQLite or PostgreSQL) with real processes.",
        subcommands: [Seed.self, Drain.self, Bench.self]
    )

    /// Parses the arguments from /proc/self/cmdline when Swift's runtime saw none: a library preloaded ahead of it
    /// (libfaketime, which the tests use to set a worker's clock wrong) leaves `CommandLine.arguments` empty.
    static func main() async {
        guard CommandLine.arguments.isEmpty,
              let line = FileManager.default.contents(atPath: "/proc/self/cmdline") else { return await main(nil) }
        await main(line.split(separator: 0).dropFirst().map { String(decoding: $0, as: UTF8.self) })
    }
}

/// `seed`: one run with N tasks.
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a run with N tasks; print its id.")

    @Option var db: String
    @Option var tasks: Int
    @Option(help: "Tasks per enqueue transaction.") var batch = 1_000
    @Option(help: "Attempts before a task is dead.") var maxAttempts = 5
    @Option(help: "Payloads that make a worker kill itself (repeatable), e.g. to test poison tasks.") var poison: [Int] = []

    func run() async throws {
        let queue = try QueueLocation(db).open()
        let run = try await queue.createRun(kind: "bench", source: "s3://bench-src", destination: "s3://bench-dst", parameters: "{}")
        let started = ContinuousClock.now
        for start in stride(from: 0, to: tasks, by: batch) {
            let chunk = (start..<min(start + batch, tasks)).map { index in
                NewTask(kind: "copy", uniqueKey: "t\(index)",
                        payload: Array((poison.contains(index) ? "poison" : "task-\(index)").utf8), maxAttempts: maxAttempts)
            }
            try await queue.enqueue(chunk, run: run)
        }
        try await queue.setRunState(run, .running, note: nil)
        let seconds = (ContinuousClock.now - started).seconds
        print("{\"run\": \(run), \"enqueued\": \(tasks), \"seconds\": \(seconds)}")
    }
}

/// `drain`: claim and complete until nothing is left to claim.
struct Drain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Claim and complete tasks until none is ready.")

    @Option var db: String
    @Option var worker: String
    @Option(help: "Tasks per claim and per completion transaction.") var batch = 100
    @Option(help: "Lease length in milliseconds.") var leaseMs = 60_000
    @Option(help: "Append the id of every task this worker completed to this file.") var log: String?
    @Flag(help: "Claim one batch, print its ids, then wait to be killed.") var hold = false
    @Option(help: "Stop after this many seconds without anything to claim (tasks may still be leased by others).")
    var idleSeconds = 0.0
    @Option(help: "Stop after completing this many tasks.") var max: Int?

    func run() async throws {
        var settings = QueueSettings()
        settings.leaseDuration = .milliseconds(leaseMs)
        let queue = try QueueLocation(db).open(settings: settings)
        var logHandle: FileHandle?
        if let log {
            if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
            logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            try logHandle?.seekToEnd()
        }
        var completed = 0, lost = 0
        var idleSince = ContinuousClock.now
        while completed < max ?? .max {
            let claimed = try await queue.claim(worker: worker, limit: Swift.min(batch, (max ?? .max) - completed))
            if claimed.isEmpty {
                if ContinuousClock.now - idleSince >= .seconds(idleSeconds) { break }
                // Not Task.sleep: under libfaketime (the tests' wrong host clocks) Dispatch's timers never fire.
                usleep(20_000)
                continue
            }
            idleSince = ContinuousClock.now
            if hold {
                FileHandle.standardOutput.write(Data((claimed.map { String($0.lease.task) }.joined(separator: " ") + "\n").utf8))
                sleep(3_600)
            }
            if claimed.contains(where: { $0.payload == Array("poison".utf8) }) {
                kill(getpid(), SIGKILL)  // a task that crashes its worker, every time
            }
            let lostLeases = try await queue.complete(claimed.map { ($0.lease, nil) })
            lost += lostLeases.count
            let done = claimed.filter { !lostLeases.contains($0.lease) }
            completed += done.count
            logHandle?.write(Data(done.map { "\($0.lease.task)\n" }.joined().utf8))
        }
        // The host's clock as this process reads it, so a test can see a faked one took.
        print("{\"worker\": \"\(worker)\", \"completed\": \(completed), \"lost\": \(lost), \"host_time\": \(Date().timeIntervalSince1970)}")
    }
}

/// `bench`: seed a backlog, then claim and complete part of it with P processes, for enqueue and claim+complete rates
/// at that backlog.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print enqueue and claim+complete rates for each backlog, process count and batch size.")

    @Option(parsing: .upToNextOption, help: "Tasks in the queue while the rate is measured.") var backlogs: [Int] = [5_000, 100_000]
    @Option(parsing: .upToNextOption) var processes: [Int] = [1, 4, 16]
    @Option(parsing: .upToNextOption) var batches: [Int] = [1, 100]
    @Option(help: "Tasks claimed and completed per case with batch 1 (batch 100: ten times as many), at most the backlog.")
    var measure = 5_000
    @Option(help: "Directory for the temporary SQLite databases.") var directory = NSTemporaryDirectory()
    @Option(help: "A PostgreSQL database to measure instead of SQLite files; each case prunes what it made.")
    var postgres: String?

    func run() async throws {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        print("| queue | backlog | processes | batch | enqueue/s | claim+complete/s |")
        print("|---|---:|---:|---:|---:|---:|")
        for backlog in backlogs {
            for batch in batches {
                for count in processes {
                    let db = postgres ?? (directory as NSString).appendingPathComponent("queue-bench-\(UUID().uuidString).db")
                    defer {
                        for suffix in ["", "-wal", "-shm"] where postgres == nil { try? FileManager.default.removeItem(atPath: db + suffix) }
                    }
                    let seeded = ContinuousClock.now
                    try runAndWait(me, ["seed", "--db", db, "--tasks", String(backlog)])
                    let enqueueRate = Double(backlog) / (ContinuousClock.now - seeded).seconds
                    let share = min(backlog, measure * (batch == 1 ? 1 : 10)) / count
                    let started = ContinuousClock.now
                    let workers = try (0..<count).map { index in
                        try launch(me, ["drain", "--db", db, "--worker", "w\(index)", "--batch", String(batch), "--max", String(share)])
                    }
                    for worker in workers { worker.waitUntilExit() }
                    let rate = Double(share * count) / (ContinuousClock.now - started).seconds
                    print("| \(postgres == nil ? "SQLite" : "PostgreSQL") | \(backlog) | \(count) | \(batch) | \(Int(enqueueRate)) | \(Int(rate)) |")
                    if postgres != nil {
                        let queue = try QueueLocation(db).open()
                        if let measured = try await queue.runs(limit: 1).first { _ = try await queue.cancel(run: measured.id, note: "measured") }
                        _ = try await queue.prune(finishedBefore: .distantFuture)
                    }
                }
            }
        }
    }

    private func launch(_ executable: URL, _ arguments: [String]) throws -> ChildProcess {
        try ChildProcess(executable.path, arguments, stdin: .null, stdout: .null)
    }

    private func runAndWait(_ executable: URL, _ arguments: [String]) throws {
        let termination = try launch(executable, arguments).waitUntilExit()
        guard termination.succeeded else { throw ExitCode(termination.shellStatus) }
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
