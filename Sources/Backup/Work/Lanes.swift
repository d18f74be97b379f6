import S3

/// A worker's transfers: `count` lanes, each a thread that runs its work and that work's requests itself
/// (`TransferLane`, which each lane's runner enters with `run`), and one queue of the work waiting for a lane, from
/// every task the process holds. Each lane's runner takes the next piece of work when done with one, so at most
/// `count` objects move at once across all tasks, and while work is waiting a runner goes from one object to the
/// next without leaving its thread. `close()` ends them.
final class Lanes: Sendable {
    private typealias Work = @Sendable () async -> Void

    private struct State {
        var waiting = FIFO<Work>()
        var idle: [CheckedContinuation<Work?, Never>] = []
        var closed = false
    }

    private let lanes: [TransferLane]
    private let state = LockedBox(State())

    /// `count` lanes and their runners.
    init(count: Int) {
        precondition(count >= 1, "at least one lane")
        lanes = (0..<count).map { _ in TransferLane() }
        for lane in lanes {
            Task(executorPreference: lane) { [self] in
                await lane.run {
                    while let work = await next() { await work() }
                }
            }
        }
    }

    /// Ends the runners once the work queued so far is done, and then the lanes' threads.
    func close() {
        let idle = state.mutate { state in
            state.closed = true
            defer { state.idle.removeAll() }
            return state.idle
        }
        for runner in idle { runner.resume(returning: nil) }
        for lane in lanes { lane.close() }
    }

    /// Runs `body` on a lane.
    func run<R: Sendable>(_ body: @escaping @Sendable () async throws -> R) async throws -> R {
        let result = LockedBox<R?>(nil)
        try await forEach([()]) { _ in
            let value = try await body()
            result.mutate { $0 = value }
        }
        // forEach returns only after the element ran without an error.
        return result.value!
    }

    /// Runs `body` for every element on the lanes, in the order given as lanes come free; returns when all are
    /// done. The first error (or this task's cancellation) stops elements not yet started, and is thrown once
    /// those under way have ended.
    func forEach<T: Sendable>(_ items: [T], _ body: @escaping @Sendable (T) async throws -> Void) async throws {
        guard !items.isEmpty else { return }
        let batch = Batch(count: items.count)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                batch.awaitEnd(continuation)
                submit(items.map { item in { await batch.run { try await body(item) } } })
            }
        } onCancel: {
            batch.stop(CancellationError())
        }
    }

    private func submit(_ work: [Work]) {
        let handed = state.mutate { state in
            precondition(!state.closed, "work given to closed lanes")
            var handed: [(CheckedContinuation<Work?, Never>, Work)] = []
            for piece in work {
                if let runner = state.idle.popLast() {
                    handed.append((runner, piece))
                } else {
                    state.waiting.append(piece)
                }
            }
            return handed
        }
        for (runner, piece) in handed { runner.resume(returning: piece) }
    }

    /// The next piece of work, waiting for one; nil once the lanes are closed and nothing is left.
    private func next() async -> Work? {
        if let work = state.mutate({ $0.waiting.popFirst() }) { return work }
        return await withCheckedContinuation { runner in
            let answer: Work?? = state.mutate { state in
                if let work = state.waiting.popFirst() { return .some(work) }
                if state.closed { return .some(nil) }
                state.idle.append(runner)
                return .none
            }
            if let answer { runner.resume(returning: answer) }
        }
    }

    /// One `forEach`: how many of its elements are left, and the error that stopped it.
    private final class Batch: Sendable {
        private struct State {
            var remaining: Int
            var failure: (any Error)?
            var end: CheckedContinuation<Void, any Error>?
        }

        private let state: LockedBox<State>

        init(count: Int) { state = LockedBox(State(remaining: count)) }

        func awaitEnd(_ continuation: CheckedContinuation<Void, any Error>) {
            state.mutate { $0.end = continuation }
        }

        /// Runs one element unless the batch was stopped; the last to end resumes the caller.
        func run(_ body: @Sendable () async throws -> Void) async {
            if state.value.failure == nil {
                do { try await body() } catch { stop(error) }
            }
            let end = state.mutate { state -> (CheckedContinuation<Void, any Error>, (any Error)?)? in
                state.remaining -= 1
                guard state.remaining == 0, let end = state.end else { return nil }
                return (end, state.failure)
            }
            guard let (continuation, failure) = end else { return }
            if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
        }

        /// Stops elements not yet started; the first reason stands.
        func stop(_ reason: any Error) {
            state.mutate { state in
                if state.failure == nil { state.failure = reason }
            }
        }
    }
}

/// A first-in first-out queue over an array with a moving head. What was taken is dropped once it is most of the
/// array: a queue that never runs empty (steady work) would otherwise keep everything it ever handed out.
struct FIFO<Element> {
    private var elements: [Element] = []
    private var head = 0

    /// An empty queue.
    init() {}

    /// Elements waiting.
    var count: Int { elements.count - head }
    /// Elements held, taken ones not yet dropped included (at most about twice `count`, or 1,024).
    var stored: Int { elements.count }

    /// Adds `element` at the end.
    mutating func append(_ element: Element) { elements.append(element) }

    /// Takes the oldest element.
    mutating func popFirst() -> Element? {
        guard head < elements.count else { return nil }
        let element = elements[head]
        head += 1
        if head == elements.count {
            elements.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024, head * 2 >= elements.count {
            elements.removeFirst(head)
            head = 0
        }
        return element
    }
}

extension FIFO: Sendable where Element: Sendable {}
