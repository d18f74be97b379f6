import Foundation

/// A thread that runs the tasks preferring it (a `TaskExecutor`, SE-0417) and performs their requests itself:
/// a request whose body and response stay in memory goes out on the lane's own easy handle, on the thread the
/// task already runs on. Elsewhere a request costs two thread hops (to a transfer thread and back to Swift's
/// pool), each a futex wake and a context switch, which on a fast network cost more than the request.
///
/// Requests that stream to or from another task (a body or response through a pipe) still go to the shared
/// transfer threads: on the lane they would block the thread the other end may need. A lane runs one request
/// at a time, so work that must run at once needs one lane each (`forEachConcurrently` leaves the lane).
///
/// The thread starts with the first job and, once the lane is closed, ends when no job is left; a job that
/// arrives later (a task that still prefers the lane) starts it again.
public final class TransferLane: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs`, `running` and `open` are only touched under `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var running = false
    private var open = true

    /// A lane; its thread starts when the first task runs on it.
    public init() {}

    /// Queues `job` to run on the lane's thread.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        let start = !running
        running = true
        condition.signal()
        condition.unlock()
        if start { Thread { [self] in drain() }.start() }
    }

    /// Lets the thread end once no job is left.
    public func close() {
        condition.lock()
        open = false
        condition.broadcast()
        condition.unlock()
    }

    private func drain() {
        Thread.current.name = "s3backup-lane"
        let handle = EasyHandle()
        TransferLane.setHandle(handle)
        defer { TransferLane.setHandle(nil) }
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while jobs.isEmpty && open { condition.wait() }
            if jobs.isEmpty {
                running = false
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: executor)
        }
    }

    /// The thread-local slot holding the easy handle of the lane running on this thread.
    /// https://man7.org/linux/man-pages/man3/pthread_getspecific.3p.html
    private static let handleKey: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()

    private static func setHandle(_ handle: EasyHandle?) {
        pthread_setspecific(handleKey, handle.map { Unmanaged.passUnretained($0).toOpaque() })
    }

    /// The easy handle of the lane this thread is, nil on any other thread.
    static var currentHandle: EasyHandle? {
        pthread_getspecific(handleKey).map { Unmanaged<EasyHandle>.fromOpaque($0).takeUnretainedValue() }
    }
}
