// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "s3backup",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "s3backup", targets: ["s3backup"]),
    ],
    dependencies: [
        // The one Swift dependency: a typed, documented command line (see README, "Dependencies").
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, each a module map plus a shim header of static inline wrappers.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // What the process asks of Linux in C: prctl (variadic), the stop signals' handler (async-signal-safe), and
        // posix_spawn's GNU extension.
        .target(name: "CLinux"),

        // Programs started with posix_spawn and reaped by pid (Foundation's Process.run crashes now and then on Linux).
        .target(name: "Spawn", dependencies: ["CLinux"]),
        // What kind of failure an error is: each library's errors say it, the CLI maps it to an exit status.
        .target(name: "Failures"),
        // AWS Signature V4: pure functions of the request, the credentials and a clock value.
        .target(name: "SigV4", dependencies: ["CCrypto"]),
        // The S3 client: credentials, endpoints, curl transport, XML, operations, retries.
        .target(name: "S3", dependencies: ["Failures", "SigV4", "CCurl", "CCrypto"]),
        // Reports by mail: SMTP over libcurl.
        .target(name: "Mail", dependencies: ["Failures", "CCurl"]),
        // Planner, workers, run summary: the product's logic, over S3 and the queue.
        .target(name: "Backup", dependencies: ["Failures", "S3", "Queue", "Mail", "SigV4", "CLinux", "Spawn"]),
        // The durable task queue; each backend's schema migrations (sql/sqlite, sql/postgres, linked as Migrations/)
        // are compiled in.
        .target(name: "Queue", dependencies: ["Failures", "Settings", "CSQLite", "CPostgres"], exclude: ["Migrations/sqlite/queries", "Migrations/postgres/queries"],
                resources: ["0001_init", "0002_planning", "0003_throttle", "0004_relayouts", "0005_books", "0006_retrievals",
                            "0007_catalog", "0008_requests", "0009_locks"].map { .embedInCode("Migrations/sqlite/\($0).sql") }
                    + ["0001_queue", "0002_requests", "0003_locks"].map { .embedInCode("Migrations/postgres/\($0).sql") }),
        // Settings from a config file (a TOML subset) and the environment, layered under the command line.
        .target(name: "Settings", dependencies: ["Failures"]),
        // The command line: parsing and wiring only (the C libraries only to print their versions).
        .executableTarget(
            name: "s3backup",
            dependencies: ["Backup", "Failures", "Mail", "S3", "Queue", "Settings", "CSQLite", "CCurl", "CCrypto", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // Test-only: an in-memory object store that answers as S3 does where the backup's rules depend on it.
        .target(name: "TestSupport", dependencies: ["S3", "SigV4", "Queue", "Spawn"]),

        // Real processes on the queue: the benchmark (ops/bench) and the multi-process tests.
        .executableTarget(
            name: "queue-bench",
            dependencies: ["Queue", "Spawn", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .testTarget(name: "SigV4Tests", dependencies: ["SigV4"]),
        .testTarget(name: "S3Tests", dependencies: ["S3", "Failures", "TestSupport", "Spawn"]),
        .testTarget(name: "QueueTests", dependencies: ["Queue", "TestSupport", "Spawn"]),
        .testTarget(name: "BackupTests", dependencies: ["Backup", "S3", "SigV4", "Queue", "TestSupport"]),
        .testTarget(name: "SettingsTests", dependencies: ["Settings"]),
        .testTarget(name: "IntegrationTests", dependencies: ["S3", "Queue", "Backup", "Mail", "TestSupport", "Spawn"]),
        .testTarget(name: "SpawnTests", dependencies: ["Spawn"]),
    ]
)
