import Foundation
import Testing

@Suite("The quick-start demo", .timeLimit(.minutes(10)))
struct DemoTests {
    /// `ops/demo.sh` end to end, with the binary these tests built (the script builds the release one otherwise).
    @Test func theDemoRunsEveryStepAndSaysWhereTheReportIs() async throws {
        var environment = isolatedEnvironment(["S3BACKUP_BINARY": Repository.binary.path])
        environment["HOME"] = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        let result = try await run(URL(fileURLWithPath: "/bin/bash"), [Repository.root.appendingPathComponent("ops/demo.sh").path],
                                   environment: environment, timeout: .seconds(300))
        #expect(result.status == 0, "\(result.stderr.suffix(1_000))")
        let text = result.stdoutText
        for step in ["no drift", "run 1: backup s3://primary → s3://backup", "run 2: backup s3://primary → s3://backup", "drill passed",
                     "damaged 5 objects", "5 copied", "demo done: backup holds 407 objects"] {
            #expect(text.contains(step), "the demo printed \(step.debugDescription)")
        }
        #expect(text.components(separatedBy: ": success").count - 1 >= 4, "backup, backup, report and restore succeed")
        let report = try #require(text.split(separator: "\n").last?.components(separatedBy: "report ").last)
        #expect(FileManager.default.fileExists(atPath: String(report)))
        try? FileManager.default.removeItem(atPath: (String(report) as NSString).deletingLastPathComponent)
    }
}

@Suite("Help and version", .timeLimit(.minutes(10)))
struct HelpTests {
    @Test(arguments: ["run", "plan", "work", "report", "setup", "restore", "verify", "ls", "status", "failed", "retry", "cancel", "prune"])
    func everyCommandHasAPurposeAndAnExample(command: String) async throws {
        let result = try await run(Repository.binary, [command, "--help"], environment: isolatedEnvironment([:]))
        #expect(result.status == 0)
        #expect(result.stdoutText.contains("OVERVIEW: "))
        #expect(result.stdoutText.contains("Example: s3backup \(command) "))
        #expect(result.stdoutText.contains("Exit status:"))
    }

    @Test func versionNamesTheLinkedLibraries() async throws {
        let result = try await run(Repository.binary, ["--version"], environment: isolatedEnvironment([:]))
        #expect(result.status == 0)
        for library in ["s3backup ", "SQLite 3.", "libcurl/", "OpenSSL "] { #expect(result.stdoutText.contains(library)) }
    }
}
