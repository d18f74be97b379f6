import Foundation
import S3
import Spawn
import TestSupport
import Testing

/// The nightly command against what operators get wrong and what machines do wrong: each case ends with one
/// line that says what to fix, its documented exit status, and nothing lost. (An SMTP server that is down is in
/// MailTests, a network file system in QueueTests: neither can be made here without a second machine.)
@Suite("bad input: one line, a documented status, nothing lost", .timeLimit(.minutes(10)))
struct BadInputTests {
    @Test func wrongCredentials() async throws {
        let strict = try await HelperServer(script: "emulator.py", arguments: ["INITIAL_NO_AUTH_ACTION_COUNT=0"])
        let fixture = try await BackupFixture("badcreds")
        defer { fixture.remove() }
        var environment = fixture.environment
        environment["AWS_ENDPOINT_URL"] = strict.endpoint
        environment["AWS_SECRET_ACCESS_KEY"] = "WRONG-SECRET-MARKER"
        let result = try await run(Repository.binary, runArguments(fixture), environment: environment)
        #expect(result.status == 77)
        let line = errorLine(result)
        #expect(line.contains("InvalidAccessKeyId") && line.contains("check AWS_ACCESS_KEY_ID"), "\(line)")
        #expect(!result.stderr.contains("WRONG-SECRET-MARKER"))
    }

    @Test func expiredSessionToken() async throws {
        let fixture = try await BackupFixture("expired")
        defer { fixture.remove() }
        let proxy = try await FaultProxy(upstream: fixture.emulator.server.endpoint, rates: ["expired-token": 1.0])
        var environment = fixture.environment
        environment["AWS_ENDPOINT_URL"] = proxy.endpoint
        environment["AWS_SESSION_TOKEN"] = "SESSION-TOKEN-MARKER"
        let result = try await run(Repository.binary, runArguments(fixture), environment: environment)
        #expect(result.status == 77)
        let line = errorLine(result)
        #expect(line.contains("ExpiredToken") && line.contains("refresh the credentials"), "\(line)")
        #expect(!result.stderr.contains("SESSION-TOKEN-MARKER"))
    }

    @Test func aBucketThatDoesNotExist() async throws {
        let fixture = try await BackupFixture("nobucket")
        defer { fixture.remove() }
        let missing = Emulator.uniqueBucket("missing")
        let result = try await run(Repository.binary, runArguments(fixture, source: missing), environment: fixture.environment)
        #expect(result.status == 78)
        let line = errorLine(result)
        #expect(line.contains(missing) && line.contains("check the bucket name"), "\(line)")
        #expect(try await fixture.emulator.keys(fixture.backup).isEmpty, "nothing written to the backup")
    }

    /// Buckets in two regions other than the one configured: discovered, not an error.
    @Test func bucketsInOtherRegionsAreFollowed() async throws {
        let fixture = try await BackupFixture("regions")
        defer { fixture.remove() }
        try await fixture.seed(20)
        let result = try await run(Repository.binary, runArguments(fixture) + ["--region", "eu-central-1"],
                                   environment: fixture.environment)
        #expect(result.status == 0, "\(result.stderr)")
        try await fixture.expectEqual(sample: [])
    }

    @Test func anEndpointThatRefusesConnections() async throws {
        let fixture = try await BackupFixture("refused")
        defer { fixture.remove() }
        var environment = fixture.environment
        environment["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1"
        let result = try await run(Repository.binary, runArguments(fixture), environment: environment)
        #expect(result.status == 69)
        #expect(errorLine(result).contains("check that http://127.0.0.1:1 is reachable"), "\(result.stderr)")
    }

    @Test func aMalformedConfigFile() async throws {
        let fixture = try await BackupFixture("badconfig")
        defer { fixture.remove() }
        let config = fixture.directory.appendingPathComponent("s3backup.toml").path
        try "[run]\nworkers =\n".write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await run(Repository.binary, runArguments(fixture) + ["--config", config],
                                   environment: fixture.environment)
        #expect(result.status == 78)
        #expect(errorLine(result).contains("line 2: `workers =` needs a value"), "\(result.stderr)")
    }

    @Test func aCorruptDatabaseIsLeftAsItIs() async throws {
        let fixture = try await BackupFixture("corrupt")
        defer { fixture.remove() }
        let garbage = Data((0..<8_192).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
        try garbage.write(to: URL(fileURLWithPath: fixture.database))
        let result = try await run(Repository.binary, runArguments(fixture), environment: fixture.environment)
        #expect(result.status == 1)
        #expect(errorLine(result).contains("damaged or not an s3backup queue: move it aside"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.database)) == garbage, "the file is not touched")
    }

    /// Another process holds the queue's write lock: after the busy timeout, the error names that process. (The
    /// suite's time limit bounds it: a test's own would count the wait for a place among the backup tests running,
    /// `BackupFixture.running`, which on a loaded machine took 5 minutes.)
    @Test func aDatabaseLockedByAForeignProcess() async throws {
        let fixture = try await BackupFixture("locked")
        defer { fixture.remove() }
        try await fixture.seed(10)
        #expect(try await run(Repository.binary, runArguments(fixture), environment: fixture.environment).status == 0)
        let stdin = Pipe(), stdout = Pipe()
        let holder = try ChildProcess("/usr/bin/env", ["python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO throttle (id, level, raised_at) VALUES (1, 0, 0) ON CONFLICT (id) DO NOTHING")
            print("locked", flush=True)
            sys.stdin.read()
            """, fixture.database], stdin: .pipe(stdin), stdout: .pipe(stdout))
        defer { try? stdin.fileHandleForWriting.close(); holder.waitUntilExit() }
        _ = stdout.fileHandleForReading.availableData  // "locked"
        try await fixture.sourceClient.putObject(bucket: fixture.primary, key: "new", body: BytesBody([1]))
        let result = try await run(Repository.binary, runArguments(fixture), environment: fixture.environment,
                                   timeout: .seconds(90))
        #expect(result.status == 1)
        let line = errorLine(result)
        #expect(line.contains("locked too long") && line.contains("held by pid \(holder.pid) (python3)"), "\(line)")
        try stdin.fileHandleForWriting.close()
        holder.waitUntilExit()
        let again = try await run(Repository.binary, runArguments(fixture), environment: fixture.environment)
        #expect(again.status == 0, "\(again.stderr)")
        try await fixture.expectEqual(sample: ["new"])
    }

    /// The queue's disk fills during planning: a clear error; with space again, the same command finishes.
    @Test func aFullDiskThenTheSameCommandFinishes() async throws {
        let fixture = try await BackupFixture("fulldisk")
        defer { fixture.remove() }
        try #require(getuid() == 0, "mounting a small file system needs root, as CI has")
        let small = fixture.directory.appendingPathComponent("small").path
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        #expect(shellRun("mount -t tmpfs -o size=96k tmpfs '\(small)'"))
        defer { _ = shellRun("umount '\(small)'") }
        try await fixture.seed(1_500)
        let full = try await run(Repository.binary, runArguments(fixture, database: small + "/queue.db"),
                                 environment: fixture.environment)
        #expect(full.status == 1)
        #expect(errorLine(full).contains("disk is full: free space and run the same command again"), "\(full.stderr)")
        #expect(shellRun("mount -o remount,size=16m '\(small)'"))
        let resumed = try await run(Repository.binary, runArguments(fixture, database: small + "/queue.db"),
                                    environment: fixture.environment, timeout: .seconds(120))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try await fixture.expectEqual(sample: [])
    }

    @Test func anUnwritableLogDirectory() async throws {
        let fixture = try await BackupFixture("badlogs")
        defer { fixture.remove() }
        let file = fixture.directory.appendingPathComponent("a-file").path
        _ = FileManager.default.createFile(atPath: file, contents: nil)
        let result = try await run(Repository.binary, runArguments(fixture, logDirectory: file + "/logs"),
                                   environment: fixture.environment)
        #expect(result.status == 78)
        #expect(errorLine(result).contains("cannot write the log \(file): Not a directory; pass --log-dir"),
                "\(result.stderr)")
    }

    private func runArguments(_ fixture: BackupFixture, source: String? = nil, database: String? = nil,
                              logDirectory: String? = nil) -> [String] {
        ["run", "--source", "s3://\(source ?? fixture.primary)", "--backup", "s3://\(fixture.backup)",
         "--db", database ?? fixture.database, "--workers", "2", "--lease-seconds", "2",
         "--log-dir", logDirectory ?? fixture.logDirectory]
    }
}

/// What s3backup leaves on disk is for its user alone.
@Suite("files s3backup creates", .timeLimit(.minutes(10)))
struct FileModeTests {
    private func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1) & 0o777
    }

    @Test func theQueueLogsAndReportsAreTheUsersAlone() async throws {
        let fixture = try await BackupFixture("modes")
        defer { fixture.remove() }
        try await fixture.seed(5)
        #expect(try await fixture.run().status == 0)
        let page = fixture.directory.appendingPathComponent("reports/report.html").path
        try FileManager.default.createDirectory(atPath: (page as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let report = try await run(Repository.binary, ["report", "--db", fixture.database, "--html", page],
                                   environment: fixture.environment)
        #expect(report.status == 0, "\(report.stderr)")
        let logs = try FileManager.default.contentsOfDirectory(atPath: fixture.logDirectory)
        #expect(!logs.isEmpty)
        #expect(try mode(fixture.logDirectory) == 0o700)
        for file in [fixture.database, fixture.database + "-wal", page] + logs.map({ fixture.logDirectory + "/" + $0 })
        where FileManager.default.fileExists(atPath: file) {
            #expect(try mode(file) == 0o600, "\(file)")
        }
    }
}
