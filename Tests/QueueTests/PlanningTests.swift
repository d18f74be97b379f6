import Foundation
@testable import Queue
import TestSupport
import Testing

/// What planners, runners and operators ask of a queue, on both backends: the planner's lease, held tasks, units,
/// what is outstanding, cancelling, and tasks parked to wait for archives.
@Suite("Queue planning and waiting, on SQLite and PostgreSQL", .timeLimit(.minutes(2)))
struct PlanningTests {
    let clock = TestClock()
    var settings = QueueSettings()

    init() { settings.leaseDuration = .seconds(30) }

    private func newRun(_ queue: any TaskQueue, source: String = "s3://a") async throws -> RunID {
        try await queue.createRun(kind: "backup", source: source, destination: "s3://b", parameters: #"{"n": 1}"#)
    }

    /// One planner at a time; a dead one's lease expires or is taken by name; ending planning releases the held
    /// tasks only while the lease is held, and a refusal removes them instead.
    @Test(arguments: Backend.allCases) func thePlannersLeaseGuardsTheHeldTasks(_ backend: Backend) async throws {
        let place = try QueuePlace(backend)
        let queue = try place.open(settings: settings, clock: clock), other = try place.open(settings: settings, clock: clock)
        let run = try await newRun(queue)
        #expect(try await queue.acquirePlanner(run: run, owner: "p1", replacing: nil))
        #expect(try await other.acquirePlanner(run: run, owner: "p2", replacing: nil) == false)
        #expect(try await other.planner(of: run) == "p1")
        #expect(try await queue.enqueue(tasks(3), run: run, held: true) == 3)
        #expect(try await other.claim(worker: "w", limit: 10).isEmpty, "held tasks wait for the plan")
        #expect(try await other.outstanding(run: run) == 4, "three tasks and the planning run")

        clock.advance(.seconds(31))
        #expect(try await other.acquirePlanner(run: run, owner: "p2", replacing: nil), "an expired lease is free")
        #expect(try await queue.completePlanning(run: run, owner: "p1", refusal: nil) == false, "p1 lost it: nothing changes")
        #expect(try await queue.run(run).state == .planning)
        #expect(try await queue.acquirePlanner(run: run, owner: "p3", replacing: "p2"), "taken from a planner known dead")
        #expect(try await queue.completePlanning(run: run, owner: "p3", refusal: nil))
        #expect(try await queue.planner(of: run) == nil)
        #expect(try await queue.run(run) == RunRecord(id: run, kind: "backup", source: "s3://a", destination: "s3://b",
                                                     parameters: #"{"n": 1}"#, state: .running, note: nil))
        #expect(try await other.claim(worker: "w", limit: 10).count == 3)

        let refused = try await newRun(queue)
        #expect(try await queue.acquirePlanner(run: refused, owner: "p", replacing: nil))
        try await queue.enqueue(tasks(2), run: refused, held: true)
        #expect(try await queue.completePlanning(run: refused, owner: "p", refusal: "deletes refused: 2 of 2"))
        #expect(try await queue.run(refused).note == "deletes refused: 2 of 2")
        #expect(try await queue.runs(limit: 1).first?.tasks["ready"] == 0)
    }

    /// Units keep the order they were first added in and their findings; re-planning a unit first removes its
    /// unclaimed tasks, never the claimed ones.
    @Test(arguments: Backend.allCases) func unitsResumeWithTheSameSplit(_ backend: Backend) async throws {
        let queue = try QueuePlace(backend).open(settings: settings, clock: clock)
        let run = try await newRun(queue)
        try await queue.addUnits(run: run, units: ["m/", "", "a/"])
        try await queue.addUnits(run: run, units: ["a/", "z/"])
        try await queue.finishUnit(run: run, unit: "a/", summary: #"{"copied": 2}"#)
        #expect(try await queue.units(run: run).map(\.unit) == ["m/", "", "a/", "z/"])
        #expect(try await queue.units(run: run).map(\.summary) == [nil, nil, #"{"copied": 2}"#, nil])

        let unit = (0..<4).map { NewTask(kind: "copy", uniqueKey: "m\($0)", payload: [UInt8($0)], unit: "m/") }
        try await queue.enqueue(unit + [NewTask(kind: "copy", uniqueKey: "a0", payload: [9], unit: "a/")], run: run)
        let claimed = try await queue.claim(worker: "w", limit: 1)
        try await queue.discardUnclaimed(run: run, unit: "m/")
        let summary = try #require(try await queue.runs(limit: 1).first)
        #expect(summary.tasks["ready"] == 1 && summary.tasks["running"] == 1, "the claimed task and the other unit's stay")
        #expect(claimed.map(\.payload) == [[0]])
    }

    /// A finished run is found by none of the unfinished-run questions, and runs are listed by when they began.
    @Test(arguments: Backend.allCases) func runsAreFoundByLocationStateAndAge(_ backend: Backend) async throws {
        let queue = try QueuePlace(backend).open(settings: settings, clock: clock)
        let first = try await newRun(queue)
        clock.advance(.seconds(3_600))
        let since = clock.date
        let second = try await newRun(queue), elsewhere = try await newRun(queue, source: "s3://c")
        #expect(try await queue.unfinishedRun(kind: "backup", source: "s3://a", destination: "s3://b") == second)
        #expect(try await queue.runs(kind: "backup", source: "s3://a", destination: "s3://b", createdSince: since) == [second])
        #expect(try await queue.runs(kind: "backup", source: "s3://a", destination: "s3://b", createdSince: .distantPast)
                == [first, second])
        try await queue.setRunState(second, .running, note: nil)
        try await queue.enqueue(tasks(1), run: second)
        try await queue.finishIdleRuns()
        #expect(try await queue.run(second).state == .running, "a task is left")
        try await queue.complete(try #require(try await queue.claim(worker: "w", limit: 1, run: second).first).lease)
        try await queue.finishIdleRuns()
        #expect(try await queue.run(second).state == .finished)
        #expect(try await queue.unfinishedRun(kind: "backup", source: "s3://a", destination: "s3://b") == first)
        #expect(try await queue.outstanding(run: nil) == 2, "two runs still planning")
        #expect(try await queue.cancel(run: elsewhere, note: "by hand") == (.planning, 0))
        #expect(try await queue.cancel(run: elsewhere, note: "again") == (.cancelled, 0), "left as it is")
        #expect(try await queue.run(elsewhere).note == "by hand")
        let missing = await #expect(throws: QueueError.self) { try await queue.cancel(run: 9_999, note: "") }
        #expect(missing?.kind == .notFound)
    }

    /// A parked task holds no lease, its attempt is not counted, it comes back with its new payload when due, and
    /// what it did so far counts among the run's results while it waits.
    @Test(arguments: Backend.allCases) func aParkedTaskWaitsWithoutALease(_ backend: Backend) async throws {
        let queue = try QueuePlace(backend).open(settings: settings, clock: clock)
        let run = try await newRun(queue)
        try await queue.enqueue(tasks(2), run: run)
        let claimed = try await queue.claim(worker: "w", limit: 2)
        let due = clock.date.addingTimeInterval(3_600)
        try await queue.park(claimed[0].lease, until: due, payload: [7, 7], result: [1], waitingFor: 3)
        await #expect(throws: QueueError.self) {
            try await queue.park(claimed[0].lease, until: due, payload: [], result: [], waitingFor: 1)
        }
        try await queue.complete(claimed[1].lease, result: [2])
        #expect(try await queue.waiting(run: run) == Waiting(tasks: 1, objects: 3, nextCheck: due))
        #expect(try await queue.results(run: run).map(\.result) == [[1], [2]], "at one moment: in task order")
        #expect(try await queue.runs(limit: 1).first?.waiting.objects == 3)
        #expect(try await queue.claim(worker: "w", limit: 1).isEmpty)

        clock.advance(.seconds(3_600))
        let again = try #require(try await queue.claim(worker: "w2", limit: 1).first)
        #expect(again.payload == [7, 7] && again.attempt == 1)
        #expect(try await queue.waiting(run: nil) == Waiting())
    }
}
