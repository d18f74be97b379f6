import Foundation

/// Jobs waiting for threads of their own, and those threads: the one loop under `TransferLane` (one thread) and
/// `CurlTransport`'s transfer threads (as many as transfers in flight). Blocking work (libcurl's transfers) runs
/// here, never on Swift's cooperative pool.
///
/// A job that finds no thread idle starts one, up to `limit`, so a job never waits for a busy thread while the
/// limit allows another. Each thread runs `body`, which takes jobs with `next()` until it answers nil: once the
/// queue is closed and empty. A job submitted after that starts threads again.
final class ThreadQueue<Job: Sendable>: @unchecked Sendable {
    // @unchecked: `jobs`, `idle`, `threads` and `open` are only touched under `condition`.
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var idle = 0
    private var threads = 0
    private var open = true
    private let name: String
    private let limit: Int
    private let body: @Sendable (_ next: () -> Job?) -> Void

    /// Threads named `name` (at most 15 characters: https://man7.org/linux/man-pages/man3/pthread_setname_np.3.html),
    /// at most `limit` at once, each running `body` until its `next` answers nil.
    init(name: String, limit: Int = .max, thread body: @escaping @Sendable (_ next: () -> Job?) -> Void) {
        precondition(limit >= 1, "a thread queue needs a thread")
        self.name = name
        self.limit = limit
        self.body = body
    }

    /// Queues `job`, starting a thread when none is idle and the limit allows one.
    func submit(_ job: Job) {
        condition.lock()
        jobs.append(job)
        let start = jobs.count > idle && threads < limit
        if start { threads += 1 }
        condition.signal()
        condition.unlock()
        if start { Thread { [self] in run() }.start() }
    }

    /// Lets the threads end once no job is left.
    func close() {
        condition.lock()
        open = false
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        Thread.current.name = name
        body { next() }
    }

    /// The oldest job, waiting for one; nil once the queue is closed and empty, and the calling thread counts as
    /// ended (a job submitted from now on starts another).
    private func next() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        idle += 1
        while jobs.isEmpty && open { condition.wait() }
        idle -= 1
        guard !jobs.isEmpty else {
            threads -= 1
            return nil
        }
        return jobs.removeFirst()
    }
}
