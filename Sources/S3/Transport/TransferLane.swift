import Foundation
import Synchronization

/// A thread that runs the work entered on it and performs that work's requests itself: a request whose body and
/// response stay in memory goes out on the lane's own easy handle, on the thread the task already runs on.
/// Elsewhere a request costs two thread hops (to a transfer thread and back to Swift's pool), each a futex wake and
/// a context switch, which on a fast network cost more than the request.
///
/// The lane is explicit, and its rules are in this type rather than in its callers' comments:
/// - Work enters a lane with `run(_:)`: the task then prefers the lane's thread (a task executor, SE-0417) and
///   carries the lane in a task-local. Nothing else binds a lane to a task, and nothing outside this type sees
///   the lane's handle.
/// - `CurlTransport` asks `handle(for:)`, which gives the handle only to a request that stays in memory (one
///   streaming through a pipe would block the thread the other end may need), made by a task that entered the
///   lane, running on the lane's thread now. A task that inherited the task-local but runs elsewhere (an
///   unstructured `Task {}`, a child task with another executor preference) gets nil and uses a transfer thread,
///   so no two threads ever share the handle.
/// - A lane runs one job at a time: work that must run at once with other work leaves it with `leave(_:)`.
///
/// The thread starts with the first job and, once the lane is closed, ends when no job is left; a job that
/// arrives later (a task that still prefers the lane) starts it again.
/// https://github.com/swiftlang/swift-evolution/blob/main/proposals/0417-task-executor-preference.md
public final class TransferLane: TaskExecutor, Sendable {
    /// The lane the current task entered with `run(_:)`; nil outside, and inside `leave(_:)`.
    /// https://developer.apple.com/documentation/swift/tasklocal
    @TaskLocal private static var entered: TransferLane?

    private let thread: ThreadQueue<(UnownedJob, UnownedTaskExecutor)>
    private let seat: Seat

    /// A lane; its thread starts when the first task runs on it. libcurl's global state is set up here, on the
    /// caller's thread, not by the lane's thread as it starts: a process that exits while a lane's thread is still
    /// in `curl_global_init` has OpenSSL's exit handlers free the locks that init is using (a worker stopped
    /// during its start-up crashed so, 1 in 200).
    public init() {
        EasyHandle.initializeLibcurl()
        let seat = Seat()
        self.seat = seat
        thread = ThreadQueue(name: "s3backup-lane", limit: 1) { next in
            seat.occupy(EasyHandle())
            defer { seat.vacate() }
            while let (job, executor) = next() { job.runSynchronously(on: executor) }
        }
    }

    /// Runs `body` on the lane: its task prefers the lane's thread, and the requests it makes that stay in memory
    /// go out on the lane's handle, without leaving the thread.
    public func run<R>(_ body: () async throws -> R) async rethrows -> R {
        try await TransferLane.$entered.withValue(self) {
            try await withTaskExecutorPreference(self) { try await body() }
        }
    }

    /// Runs `body` off every lane, on Swift's global executor: for work that must run at once with other work,
    /// which on a lane would run one piece at a time. Its requests go to the transfer threads.
    public static func leave<R>(_ body: () async throws -> R) async rethrows -> R {
        try await $entered.withValue(nil) {
            try await withTaskExecutorPreference(globalConcurrentExecutor) { try await body() }
        }
    }

    /// Queues `job` to run on the lane's thread.
    public func enqueue(_ job: consuming ExecutorJob) {
        thread.submit((UnownedJob(job), asUnownedTaskExecutor()))
    }

    /// Lets the thread end once no job is left.
    public func close() {
        thread.close()
    }

    /// The handle `request` goes out on when it may stay on this thread: the entered lane's, for a request whose
    /// body and response stay in memory; nil sends it to a transfer thread.
    static func handle(for request: HTTPRequest) -> EasyHandle? {
        guard request.sink == nil, request.body == nil || request.body is BytesBody else { return nil }
        return currentHandle
    }

    /// The easy handle of the lane the current task entered, when the caller runs on that lane's thread; else nil.
    static var currentHandle: EasyHandle? {
        entered?.seat.handleOnThisThread
    }

    /// Which thread runs the lane now, and that thread's handle.
    private final class Seat: @unchecked Sendable {
        // @unchecked: `handle` is only touched on the thread whose id `owner` holds: `occupy` runs on it, and
        // `handleOnThisThread` reads it only after finding its caller's id there.
        private let owner = Atomic<UInt>(0)
        private var handle: EasyHandle?

        /// The calling thread takes the seat with `handle`.
        func occupy(_ handle: EasyHandle) {
            self.handle = handle
            owner.store(pthread_self(), ordering: .releasing)
        }

        /// The calling thread gives up the seat, unless the lane's next thread has already taken it (this one's
        /// last `next()` let it start). The handle stays until that thread replaces it: writing it here would race.
        func vacate() {
            _ = owner.compareExchange(expected: pthread_self(), desired: 0, ordering: .relaxed)
        }

        /// The lane's handle, when the calling thread is the lane's.
        var handleOnThisThread: EasyHandle? {
            owner.load(ordering: .acquiring) == pthread_self() ? handle : nil
        }
    }
}
