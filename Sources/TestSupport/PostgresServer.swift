import Foundation
import Spawn

/// A throwaway PostgreSQL cluster from Debian's server: `initdb`ed in a temporary directory (as the `postgres` user
/// when this process is root: initdb refuses root), listening only on a Unix socket in that directory, stopped by
/// the pid of its postmaster and removed with its directory.
/// https://www.postgresql.org/docs/current/app-initdb.html, https://www.postgresql.org/docs/current/app-postgres.html
public final class PostgresServer: @unchecked Sendable {
    // @unchecked: `process` changes only in `start` and `stop`, which a test calls from one task.

    /// The directory holding the cluster (`data/`) and the socket.
    public var directory: String { temporary.path }
    private let temporary: TemporaryDirectory
    /// The port its socket is named after (`.s.PGSQL.<port>`), and its TCP listener's when it has `tcpAddress`.
    public let port: Int
    private let binaries: String
    private var process: ChildProcess?

    /// The address it also listens on over TCP (every client of it trusted), if any.
    public let tcpAddress: String?

    /// A libpq connection string for `database` as the superuser, over the socket (or TCP to `tcpAddress`).
    public func conninfo(database: String = "postgres", overTCP: Bool = false) -> String {
        "host=\(overTCP ? tcpAddress! : directory) port=\(port) dbname=\(database) user=postgres connect_timeout=5"
    }

    /// The pid of the running postmaster; nil when stopped.
    public var pid: Int32? { process?.isRunning == true ? process?.pid : nil }

    /// A new cluster, started, listening on a socket and, with `tcpAddress`, on that address (trusting every client:
    /// a test's own network). Throws when Debian's PostgreSQL is not installed (`ops/install-deps.sh` installs it).
    public init(tcpAddress: String? = nil) throws {
        self.tcpAddress = tcpAddress
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let newest = versions.compactMap(Int.init).max(),
              FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\(newest)/bin/initdb") else {
            throw PostgresServerError("no PostgreSQL server under /usr/lib/postgresql: run ops/install-deps.sh")
        }
        binaries = "/usr/lib/postgresql/\(newest)/bin"
        temporary = try TemporaryDirectory()
        port = Int.random(in: 10_000..<Self.firstEphemeralPort())
        if getuid() == 0 {
            try FileManager.default.setAttributes([.ownerAccountName: "postgres", .groupOwnerAccountName: "postgres"],
                                                  ofItemAtPath: directory)
        }
        let initdb = try launch("\(binaries)/initdb", ["-D", "\(directory)/data", "-U", "postgres", "-A", "trust", "-E", "UTF8",
                                                       "--locale=C", "--no-sync"], quiet: true)
        let initialized = initdb.waitUntilExit()
        guard initialized.succeeded else { throw PostgresServerError("initdb \(initialized) in \(directory)") }
        if tcpAddress != nil {
            // https://www.postgresql.org/docs/current/auth-pg-hba-conf.html
            let rules = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(directory)/data/pg_hba.conf"))
            try rules.seekToEnd()
            try rules.write(contentsOf: Data("host all all 0.0.0.0/0 trust\n".utf8))
            try rules.close()
        }
        try start()
    }

    deinit { stop() }

    /// The lowest port the kernel hands out by itself (to `bind` on port 0 and to `connect`), from
    /// /proc/sys/net/ipv4/ip_local_port_range. The server's port is below it, so none of the other tests' sockets can
    /// take it while the server is stopped: once, in CI, a restart two seconds after a stop found its port (in that
    /// range then) taken: "could not bind IPv4 address: Address already in use".
    /// https://www.kernel.org/doc/html/latest/networking/ip-sysctl.html
    private static func firstEphemeralPort() -> Int {
        let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        return range.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) }.map { max($0, 10_001) } ?? 32_768
    }

    /// Starts the postmaster (again, after `stop`) and waits until it accepts connections (at most 30 s).
    public func start() throws {
        precondition(pid == nil, "the server is already running")
        // fsync off: a throwaway cluster; a test that kills the server kills it by pid, not the machine.
        process = try launch("\(binaries)/postgres", ["-D", "\(directory)/data", "-k", directory, "-p", String(port),
                                                       "-c", "listen_addresses=\(tcpAddress ?? "")", "-c", "fsync=off", "-c", "max_connections=200"],
                             quiet: true, log: "\(directory)/postgres.log")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let ready = try launch("\(binaries)/pg_isready", ["-h", directory, "-p", String(port), "-q"], quiet: true)
            if ready.waitUntilExit().succeeded { return }
            guard pid != nil else {
                let log = (try? String(contentsOfFile: "\(directory)/postgres.log", encoding: .utf8)) ?? ""
                throw PostgresServerError("postgres exited while starting in \(directory): \(log.suffix(1_000))")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stop()
        throw PostgresServerError("postgres did not accept connections within 30 s in \(directory)")
    }

    /// Stops the postmaster (SIGINT: a fast shutdown, clients disconnected) and waits for it.
    public func stop() {
        guard let process, process.isRunning else { return }
        process.signal(SIGINT)
        process.waitUntilExit()
        self.process = nil
    }

    /// Starts `path` with `arguments` (its standard error appended to `log`, if given), as `postgres` when this process
    /// is root (`setpriv` executes it in place, so the pid is the program's own).
    private func launch(_ path: String, _ arguments: [String], quiet: Bool, log: String? = nil) throws -> ChildProcess {
        let quietly: ChildProcess.Stream = quiet ? .null : .inherit
        var errors = quietly
        if let log {
            // Appended to across restarts; read when the server does not start.
            if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            try handle.seekToEnd()
            errors = .file(handle)
        }
        defer { if case .file(let handle) = errors { try? handle.close() } }
        if getuid() == 0 {
            return try ChildProcess("/usr/bin/setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", path] + arguments,
                                    stdin: .null, stdout: quietly, stderr: errors)
        }
        return try ChildProcess(path, arguments, stdin: .null, stdout: quietly, stderr: errors)
    }
}

/// Why a throwaway PostgreSQL could not be made.
public struct PostgresServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension PostgresServer {
    /// One cluster for the whole test process, made at first use and stopped, by its pid, as the process exits.
    public static func shared() throws -> PostgresServer { try sharedServer.get() }

    private static let sharedServer: Result<PostgresServer, any Error> = {
        let made = Result { try PostgresServer() }
        if case .success(let server) = made, let pid = server.pid {
            sharedPid = pid
            sharedDirectory = server.directory
            atexit {
                // A fast shutdown, waited for (at most 10 s) so the directory can go with the cluster. The
                // postmaster is this process's child, which nothing else reaps: waitpid says when it has exited.
                kill(PostgresServer.sharedPid, SIGINT)
                for _ in 0..<200 where waitpid(PostgresServer.sharedPid, nil, WNOHANG) == 0 { usleep(50_000) }
                try? FileManager.default.removeItem(atPath: PostgresServer.sharedDirectory)
            }
        }
        return made
    }()
    // Read only by the exit handler, which cannot capture; written once, before it is registered.
    nonisolated(unsafe) private static var sharedPid: Int32 = 0
    nonisolated(unsafe) private static var sharedDirectory = ""

    /// A new, empty schema owned by the superuser, and a connection string whose search_path puts it first, so a
    /// queue opened with it makes its tables there: one cluster serves many tests side by side.
    public func newSchema(overTCP: Bool = false) throws -> String {
        let name = "q_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let psql = try launch("\(binaries)/psql", ["-h", directory, "-p", String(port), "-U", "postgres", "-d", "postgres",
                                                   "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE SCHEMA \(name)"], quiet: true)
        guard psql.waitUntilExit().succeeded else { throw PostgresServerError("psql could not create schema \(name) in \(directory)") }
        return conninfo(overTCP: overTCP) + " options='-c search_path=\(name)'"
    }
}
