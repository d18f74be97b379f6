import Foundation
import Queue
import Spawn

/// Local worker processes for one run (`s3backup work`, as the launcher spells it), started on demand and restarted while work remains
/// (a worker that crashed leaves leases that expire and are finished by the next). They get the run's environment
/// cut down to what a worker reads (`WorkerEnvironment`): never the SMTP password.
final class WorkerProcesses: @unchecked Sendable {
    // @unchecked: `processes` and `started` are only touched under `lock`.
    private let lock = NSLock()
    private var processes: [ChildProcess] = []
    private var started = false
    private var stopped = false
    private let count: Int
    private let launcher: WorkerLauncher
    private let assignment: WorkerAssignment
    private let environment: [String: String]
    /// Rounds of restarts before giving up on a run whose workers keep dying.
    static let maxRounds = 5

    private let run: RunID

    /// `count` workers of `launcher`, each given `assignment` and `environment` as a worker may have it.
    init(launcher: WorkerLauncher, assignment: WorkerAssignment, count: Int, environment: [String: String]) {
        self.count = count
        self.launcher = launcher
        self.assignment = assignment
        self.environment = WorkerEnvironment.of(environment).merging(launcher.environment) { $1 }
        run = assignment.run
    }

    /// Starts the workers, once, saying so in `log`; later calls, and calls after `stop`, do nothing.
    func start(log: @Sendable (String) -> Void) {
        let starting = lock.withLock {
            guard !started, !stopped else { return false }
            started = true
            spawn()
            return true
        }
        if starting { log("started \(count) worker process\(count == 1 ? "" : "es") for run \(run)") }
    }

    /// Starts `count` workers; called under `lock`. A worker that cannot start is left out: the rounds in
    /// `waitUntilDone` notice the work left and try again.
    private func spawn() {
        for _ in 0..<count {
            if let process = try? ChildProcess(launcher.executable.path, launcher.arguments(assignment), environment: environment,
                                               stdin: .null) {
                processes.append(process)
            }
        }
    }

    /// Waits for the workers; while the queue still has work after they all exited, starts them again, unless
    /// `stopping` says the runner is stopping.
    func waitUntilDone(queue: any TaskQueue, log: @Sendable (String) -> Void, stopping: () -> Bool) async throws {
        var round = 1
        while true {
            try await exited()
            if stopping() { return }
            let crashed = lock.withLock { processes.filter { $0.termination?.succeeded == false }.count }
            let left = try await queue.outstanding(run: run)
            if left == 0 { return }
            guard round < WorkerProcesses.maxRounds else {
                log("workers stopped \(round) times with \(left) tasks of run \(run) left; run the same command again to continue")
                return
            }
            log("\(crashed) worker(s) exited abnormally and \(left) tasks remain: starting workers again")
            round += 1
            lock.withLock {
                guard !stopped else { return }
                processes = []
                started = true
                spawn()
            }
        }
    }

    /// Returns once every worker started so far has exited.
    func exited() async throws {
        while lock.withLock({ processes.contains(where: \.isRunning) }) { try await Task.sleep(for: .milliseconds(50)) }
    }

    /// Asks the workers still running to stop (SIGTERM: each finishes what it holds and gives the rest back), and
    /// starts none after.
    func stop() {
        lock.withLock {
            stopped = true
            processes.forEach { $0.signal(SIGTERM) }
        }
    }
}
