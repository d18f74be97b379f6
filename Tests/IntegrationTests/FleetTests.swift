import Foundation
@testable import Queue
import S3
import Spawn
import TestSupport
import Testing

/// A backup spread over three hosts (network namespaces) that share one PostgreSQL queue and one S3 emulator over
/// TCP, while one host's link is cut or the database server restarts.
@Suite("A fleet of hosts on one PostgreSQL queue", .serialized, .timeLimit(.minutes(10)))
struct FleetTests {
    /// What goes wrong mid-run.
    enum Fault: String, CaseIterable, Sendable {
        /// The second host's link goes down for good: its tasks come back when their leases expire.
        case cutLink
        /// PostgreSQL stops and starts again: every host's worker reconnects.
        case serverRestart
    }

    @Test(arguments: Fault.allCases)
    func aBackupSpreadOverThreeHostsEndsEqual(fault: Fault) async throws {
        let hosts = try Hosts(count: 3)
        defer { hosts.remove() }
        let server = try PostgresServer(tcpAddress: Hosts.serverAddress)
        let moto = try await HelperServer(script: "emulator.py", arguments: ["EMULATOR_HOST=\(Hosts.serverAddress)"],
                                          host: Hosts.serverAddress)
        let fixture = try await BackupFixture("fleet", emulatorServer: moto)
        defer { fixture.remove() }
        try await fixture.seed(900)
        let database = try server.newSchema(overTCP: true)
        let plan = try await run(Repository.binary, ["plan", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)",
                                                     "--db", database, "--split-above", "100"] + fixture.flags,
                                 environment: fixture.environment)
        #expect(plan.status == 0, "\(plan.stderr)")
        let queue = try QueueLocation(database).open(create: false)
        let tasks = try #require(try await queue.runs(limit: 1).first?.tasks["ready"])

        let workers = try (0..<3).map { host in
            try hosts.start(on: host, Repository.binary, ["work", "--db", database, "--until-idle", "--concurrency", "4",
                                                          "--lease-seconds", "3"],
                            environment: fixture.environment, output: fixture.directory.appendingPathComponent("host\(host).out"))
        }
        defer { for worker in workers where worker.isRunning { worker.signal(SIGKILL); worker.waitUntilExit() } }
        let db = try PGConnection(conninfo: database, location: "test")
        let second = "%:\(workers[1].pid)"
        func count(_ condition: String, _ parameters: [PGValue] = []) throws -> Int {
            Int(try db.execute("SELECT count(*) FROM tasks WHERE \(condition)", parameters).integer(0, 0) ?? 0)
        }
        // Mid-run: some tasks done, and the second host holding some.
        let deadline = ContinuousClock.now + .seconds(120)
        while try count("state = 'succeeded'") < max(3, tasks / 10) || count("lease_owner LIKE $1", [.text(second)]) == 0 {
            guard ContinuousClock.now < deadline, workers.allSatisfy(\.isRunning) else {
                throw HelperError("the run never reached its middle with the second host working; see \(fixture.directory.path)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        var held: Set<Int64> = []
        switch fault {
        case .cutLink:
            hosts.cut(1)
            // Read after the cut: nothing the host holds now can finish.
            let leased = try db.execute("SELECT id FROM tasks WHERE lease_owner LIKE $1", [.text(second)])
            held = Set((0..<leased.rows).map { leased.integer($0, 0)! })
            #expect(!held.isEmpty, "the cut host held tasks (a task takes its worker seconds against moto)")
        case .serverRestart:
            server.stop()
            try await Task.sleep(for: .seconds(2))
            try server.start()
        }

        let survivors = fault == .cutLink ? [workers[0], workers[2]] : workers
        let finished = ContinuousClock.now + .seconds(300)
        while survivors.contains(where: \.isRunning), ContinuousClock.now < finished { try await Task.sleep(for: .milliseconds(100)) }
        #expect(survivors.allSatisfy { $0.termination == .exited(0) },
                "\((0..<3).map { host in fixture.tail(of: "host\(host).out") }.joined(separator: "\n"))")
        if fault == .cutLink {
            #expect(workers[1].isRunning, "the cut host is still waiting for the network")
            workers[1].signal(SIGKILL)
            workers[1].waitUntilExit()
        }

        let after = try QueueLocation(database).open(create: false)
        let summary = try #require(try await after.runs(limit: 1).first)
        #expect(summary.tasks == ["ready": 0, "running": 0, "succeeded": tasks, "dead": 0])
        #expect(summary.state == .finished)
        try await fixture.expectEqual(sample: [BackupFixture.seededKey(11)])
        // Only tasks the fault interrupted were done again: a finished task never was.
        let again = try PGConnection(conninfo: database, location: "test").execute("SELECT id, last_error FROM tasks WHERE attempts > 1")
        for row in 0..<again.rows {
            let id = again.integer(row, 0)!, error = again.text(row, 1) ?? ""
            if fault == .cutLink {
                #expect(held.contains(id) && error.contains(":\(workers[1].pid)"), "task \(id): \(error)")
            }
        }
        if fault == .cutLink { #expect(again.rows == held.count, "every task the cut host held was taken over") }
    }
}
