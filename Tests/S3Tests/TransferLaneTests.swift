import Foundation
@testable import S3
import Testing

/// Who gets a lane's easy handle: only a request that stays in memory, made by a task that entered the lane, on the
/// lane's thread; everything else goes to the transfer threads.
@Suite("Transfer lane handles", .timeLimit(.minutes(1)))
struct TransferLaneTests {
    private static let inMemory = HTTPRequest(method: "PUT", url: "http://127.0.0.1:1/b/k", body: BytesBody([1]))

    /// A body from elsewhere: one streamed through a pipe would look like this to the transport.
    private struct StreamedBody: BodySource {
        var count: Int64 { 0 }
        func makeReader() throws -> any BodyReader { preconditionFailure("never read") }
    }

    /// A response that goes elsewhere.
    private struct DroppingSink: BodySink {
        func makeWriter() throws -> any BodyWriter { preconditionFailure("never written") }
    }

    @Test func noLaneWasEnteredOutsideRun() async {
        let lane = TransferLane()
        defer { lane.close() }
        #expect(TransferLane.handle(for: Self.inMemory) == nil)
        #expect(TransferLane.currentHandle == nil)
    }

    @Test func aRequestThatStaysInMemoryGetsTheHandleOfTheLaneItsTaskEntered() async {
        let lane = TransferLane()
        defer { lane.close() }
        let (get, put) = await lane.run {
            (TransferLane.handle(for: HTTPRequest(method: "GET", url: "http://127.0.0.1:1/b")) != nil,
             TransferLane.handle(for: Self.inMemory) != nil)
        }
        #expect(get && put)
    }

    @Test func aStreamingRequestNeverGetsTheHandle() async {
        let lane = TransferLane()
        defer { lane.close() }
        let (streamedBody, streamedResponse) = await lane.run {
            (TransferLane.handle(for: HTTPRequest(method: "PUT", url: "http://127.0.0.1:1/b/k", body: StreamedBody())),
             TransferLane.handle(for: HTTPRequest(method: "GET", url: "http://127.0.0.1:1/b/k", sink: DroppingSink())))
        }
        #expect(streamedBody == nil && streamedResponse == nil)
    }

    /// A child task keeps the lane's thread and handle; tasks that run elsewhere do not get it, whether they
    /// inherited the binding (an unstructured task) or left the lane.
    @Test func onlyTasksOnTheLanesThreadGetItsHandle() async {
        let lane = TransferLane()
        defer { lane.close() }
        let seen = await lane.run { () -> (parent: Bool, child: Bool, unstructured: Bool, left: Bool) in
            let parent = TransferLane.currentHandle
            async let child = TransferLane.currentHandle
            let unstructured = await Task { TransferLane.currentHandle }.value
            let left = await TransferLane.leave { TransferLane.currentHandle }
            return (parent != nil, await child === parent, unstructured == nil, left == nil)
        }
        #expect(seen.parent && seen.child && seen.unstructured && seen.left)
    }

    /// A closed lane's thread ends when its work is done; work that comes later starts it again, with a handle.
    @Test func aClosedLaneStartsAgainForLaterWork() async throws {
        let lane = TransferLane()
        #expect(await lane.run { TransferLane.currentHandle != nil })
        lane.close()
        try await Task.sleep(for: .milliseconds(20))
        #expect(await lane.run { TransferLane.currentHandle != nil })
    }

    /// An in-memory request on a lane goes out on the lane's handle and gets its answer.
    @Test func aRequestOnTheLaneIsPerformed() async throws {
        try await HostileEndpoint.with { endpoint in
            let lane = TransferLane()
            defer { lane.close() }
            let transport = CurlTransport()
            let status = try await lane.run {
                try await transport.perform(HTTPRequest(method: "HEAD", url: "\(endpoint.endpoint)/any")).status
            }
            #expect(status == 200)
        }
    }
}

/// The loop under lanes and transfer threads: no job waits while the limit allows a thread, the limit holds, and
/// a closed queue's threads end and start again for later jobs.
@Suite("Thread queue", .timeLimit(.minutes(1)))
struct ThreadQueueTests {
    /// Counts threads and what ran on them.
    private final class Record: Sendable {
        let state = LockedBox((threads: 0, running: 0, most: 0, ended: 0, done: [Int]()))
    }

    private static func queue(limit: Int, record: Record) -> ThreadQueue<Int> {
        ThreadQueue(name: "test-queue", limit: limit) { next in
            record.state.mutate { $0.threads += 1 }
            while let job = next() {
                record.state.mutate { $0.running += 1; $0.most = max($0.most, $0.running) }
                usleep(20_000)
                record.state.mutate { $0.running -= 1; $0.done.append(job) }
            }
            record.state.mutate { $0.ended += 1 }
        }
    }

    private static func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw DeadlineExceeded(description: "condition not met in 10 s") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test(arguments: [1, 3])
    func theLimitHoldsAndEveryJobRunsOnce(limit: Int) async throws {
        let record = Record()
        let queue = Self.queue(limit: limit, record: record)
        for job in 0..<12 { queue.submit(job) }
        queue.close()
        try await Self.waitUntil {
            let state = record.state.value
            return state.done.count == 12 && state.ended == state.threads
        }
        let state = record.state.value
        #expect(state.done.sorted() == Array(0..<12))
        #expect(state.threads == limit && state.most == limit, "\(state)")
    }

    @Test func aClosedQueueStartsAThreadForALaterJob() async throws {
        let record = Record()
        let queue = Self.queue(limit: 1, record: record)
        queue.close()
        queue.submit(1)
        try await Self.waitUntil { record.state.value.ended == 1 }
        queue.submit(2)
        try await Self.waitUntil { record.state.value.ended == 2 }
        let state = record.state.value
        #expect(state.done == [1, 2] && state.threads == 2)
    }
}
