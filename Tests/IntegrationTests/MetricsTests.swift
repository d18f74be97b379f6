import Foundation
import S3
import Spawn
import Testing

/// `--metrics-file` and `--pushgateway` as Prometheus reads them: the file follows the text format's rules whenever a
/// reader looks (it is replaced whole), its numbers are the JSON report's, a failed run keeps the last success's
/// time, and `run` and `verify` share one file.
@Suite("Metrics for Prometheus", .timeLimit(.minutes(8)))
struct MetricsTests {
    @Test func theFileIsAlwaysWholeAndItsNumbersAreTheReports() async throws {
        let fixture = try await BackupFixture("metrics")
        defer { fixture.remove() }
        try await fixture.seed(120)
        let file = fixture.directory.appendingPathComponent("s3backup.prom").path
        // A whole bucket is named without a slash, as the reports name it.
        let labels = ["kind": "backup", "source": "s3://\(fixture.primary)", "backup": "s3://\(fixture.backup)"]

        // A reader that looks as often as it can while the run goes on: every text it reads must parse.
        let seen = LockedBox((reads: 0, progress: Set<Double>(), violation: String?.none))
        let reader = Task.detached {
            while !Task.isCancelled {
                if let text = try? String(contentsOfFile: file, encoding: .utf8) {
                    do {
                        let parsed = try PromText(text)
                        let tasks = parsed.value("s3backup_run_tasks", labels.merging(["state": "succeeded"]) { $1 })
                        seen.mutate {
                            $0.reads += 1
                            if parsed.value("s3backup_run_in_progress", labels) == 1, let tasks { $0.progress.insert(tasks) }
                        }
                    } catch {
                        seen.mutate { $0.violation = $0.violation ?? "\(error)" }
                    }
                }
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        let result = try await fixture.run(["--metrics-file", file, "--metrics-interval", "1"])
        reader.cancel()
        _ = await reader.value
        #expect(result.status == 0, "\(result.stderr)")
        #expect(seen.value.violation == nil, "a reader saw a broken file: \(seen.value.violation ?? "")")
        #expect(seen.value.reads > 10 && !seen.value.progress.isEmpty, "the progress gauges were read while the run went on: \(seen.value)")

        let metrics = try PromText(try String(contentsOfFile: file, encoding: .utf8))
        #expect(metrics.types.values.allSatisfy { $0 == "gauge" })
        let report = try #require(result.reports.last)
        #expect(report["source"] as? String == labels["source"] && report["backup"] as? String == labels["backup"])
        func number(_ path: String...) -> Double? {
            var value: Any? = report
            for key in path { value = (value as? [String: Any])?[key] }
            return (value as? NSNumber)?.doubleValue
        }
        func sample(_ name: String, _ extra: [String: String] = [:]) -> Double? { metrics.value(name, labels.merging(extra) { $1 }) }
        #expect(sample("s3backup_last_run_objects", ["action": "copied"]) == number("work", "copied"))
        #expect(sample("s3backup_last_run_objects", ["action": "copied"]) == 120)
        #expect(sample("s3backup_last_run_bytes", ["action": "copied"]) == number("work", "copied_bytes"))
        #expect(sample("s3backup_last_run_objects", ["action": "skipped"]) == number("plan", "same"))
        #expect(sample("s3backup_last_run_objects", ["action": "deleted"]) == number("work", "deleted"))
        #expect(sample("s3backup_last_run_objects", ["action": "failed"]) == 0)
        #expect(sample("s3backup_last_run_listed_objects", ["side": "source"]) == number("plan", "source_objects"))
        #expect(sample("s3backup_last_run_listed_bytes", ["side": "destination"]) == number("plan", "backup_bytes"))
        #expect(sample("s3backup_last_run_retries", ["of": "tasks"]) == number("retries"))
        #expect(sample("s3backup_last_run_retries", ["of": "requests"]) == number("work", "request_retries"))
        #expect(sample("s3backup_last_run_throttled_requests") == number("work", "throttled"))
        #expect(sample("s3backup_last_run_cost_dollars") == number("cost", "run_dollars"))
        #expect(sample("s3backup_storage_monthly_dollars") == number("cost", "monthly_dollars"))
        let requests = (report["cost"] as? [String: Any])?["requests"] as? [[String: Any]] ?? []
        for line in requests {
            #expect(sample("s3backup_last_run_requests", ["billed_as": line["kind"] as? String ?? "?"]) == (line["count"] as? NSNumber)?.doubleValue)
        }
        #expect(!requests.isEmpty)
        #expect(abs((sample("s3backup_last_run_duration_seconds") ?? -1) - (number("seconds") ?? 0)) < 0.001)
        #expect(sample("s3backup_last_run_exit_status") == 0 && sample("s3backup_last_run_success") == 1)
        #expect(sample("s3backup_run_in_progress") == 0)
        let succeeded = try #require(sample("s3backup_last_success_timestamp_seconds"))
        #expect(succeeded == sample("s3backup_last_run_timestamp_seconds"))
        #expect(abs(succeeded - Date().timeIntervalSince1970) < 120)
        try await Self.expectPrometheusReads(file)

        // A run that fails (its queue cannot be opened) says so, and keeps the last success's time.
        try await Task.sleep(for: .seconds(1))
        let broken = try await IntegrationTests.run(
            Repository.binary, ["run", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)", "--db",
                                fixture.directory.path, "--metrics-file", file, "--log-dir", fixture.logDirectory] + fixture.flags,
            environment: fixture.environment)
        #expect(broken.status != 0)
        let failed = try PromText(try String(contentsOfFile: file, encoding: .utf8))
        func after(_ name: String, _ extra: [String: String] = [:]) -> Double? { failed.value(name, labels.merging(extra) { $1 }) }
        #expect(after("s3backup_last_run_exit_status") == Double(broken.status))
        #expect(after("s3backup_last_run_success") == 0)
        #expect(after("s3backup_last_success_timestamp_seconds") == succeeded, "kept from the run that succeeded")
        #expect(try #require(after("s3backup_last_run_timestamp_seconds")) > succeeded)
        #expect(after("s3backup_last_run_objects", ["action": "copied"]) == nil, "the last run's numbers are not this one's")

        // The drill writes its own samples into the same file; the backup's stay. Under the systemd unit's umask
        // (0077) the file stays readable by node_exporter's user.
        let drill = try await IntegrationTests.run(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "umask 077; exec \"$0\" \"$@\"", Repository.binary.path, "verify", "--source",
                                              "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)", "--sample", "3",
                                              "--metrics-file", file],
            environment: fixture.environment)
        #expect(drill.status == 0, "\(drill.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o644, "\(String(mode ?? 0, radix: 8))")
        let both = try PromText(try String(contentsOfFile: file, encoding: .utf8))
        let drillLabels = labels.merging(["kind": "verify"]) { $1 }
        #expect(both.value("s3backup_drill_mismatches", drillLabels) == 0)
        #expect(both.value("s3backup_drill_sampled_objects", drillLabels) == 3)
        #expect(both.value("s3backup_last_run_success", drillLabels) == 1)
        #expect(both.value("s3backup_last_success_timestamp_seconds", labels) == succeeded)
        #expect(both.value("s3backup_last_run_exit_status", labels) == Double(broken.status))
    }

    /// `--pushgateway` POSTs the same text to the pair's group (labels base64url-encoded, as they hold `/`); a gateway
    /// that refuses it is a warning, not a failed drill.
    @Test func metricsArePushedToTheGatewaysGroup() async throws {
        let fixture = try await BackupFixture("push")
        defer { fixture.remove() }
        try await fixture.seed(5)
        let directory = fixture.directory.appendingPathComponent("pushed")
        let gateway = try await HelperServer(script: "push_sink.py", arguments: [directory.path])
        let refusing = try await HelperServer(script: "push_sink.py", arguments: [directory.path + "-refused", "--refuse"])
        let pushed = try await IntegrationTests.run(
            Repository.binary, ["verify", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.backup)",
                                "--pushgateway", gateway.endpoint], environment: fixture.environment)
        #expect(pushed.status == 1, "the backup is empty: the drill fails, and says so to the gateway too")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.count == 1)
        let request = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(files[0]))) as? [String: String])
        func encoded(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        }
        #expect(request["method"] == "POST")
        #expect(request["path"] == "/metrics/job/s3backup/kind@base64/\(encoded("verify"))/source@base64/\(encoded("s3://\(fixture.primary)"))"
            + "/backup@base64/\(encoded("s3://\(fixture.backup)"))")
        #expect(request["type"] == "text/plain; version=0.0.4")
        let body = try PromText(request["body"] ?? "")
        #expect(body.value("s3backup_drill_mismatches") == 5)
        #expect(body.value("s3backup_last_run_exit_status") == 1)

        let refused = try await IntegrationTests.run(
            Repository.binary, ["verify", "--source", "s3://\(fixture.primary)", "--backup", "s3://\(fixture.primary)-none",
                                "--pushgateway", refusing.endpoint], environment: fixture.environment)
        #expect(refused.stderr.contains("warning: the Pushgateway \(refusing.endpoint) answered 400 to the metrics: pushed metrics are invalid"),
                "\(refused.stderr)")
    }

    /// The alert rules of ops/monitoring parse and fire when they should, as `promtool test rules` checks them.
    @Test func theAlertRulesPassTheirUnitTests() async throws {
        let directory = Repository.root.appendingPathComponent("ops/monitoring")
        let checked = try await IntegrationTests.run(Self.promtool, ["check", "rules", directory.appendingPathComponent("s3backup-alerts.yml").path],
                                                     environment: [:])
        #expect(checked.status == 0, "\(checked.stdoutText) \(checked.stderr)")
        let tested = try await IntegrationTests.run(Self.promtool, ["test", "rules", directory.appendingPathComponent("s3backup-alerts.test.yml").path],
                                                    environment: [:])
        #expect(tested.status == 0 && tested.stdoutText.contains("SUCCESS"), "\(tested.stdoutText) \(tested.stderr)")
    }

    static let promtool = URL(fileURLWithPath: "/usr/bin/promtool")

    /// `file` as Prometheus's own tools read it: `promtool check metrics` finds nothing to say, and node_exporter's
    /// textfile collector serves its samples and reports no error reading it.
    static func expectPrometheusReads(_ file: String) async throws {
        let linted = try await IntegrationTests.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "\(promtool.path) check metrics < \"$0\"", file],
                                                    environment: [:])
        #expect(linted.status == 0 && linted.stderr.isEmpty && linted.stdoutText.isEmpty, "\(linted.stdoutText) \(linted.stderr)")

        // The collector reads every *.prom of its directory: the file alone in one.
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("textfile")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: file, toPath: directory.appendingPathComponent("s3backup.prom").path)
        let free = try await IntegrationTests.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", """
            import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])
            """], environment: [:])
        let address = "127.0.0.1:\(free.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))"
        let exporter = try ChildProcess("/usr/bin/prometheus-node-exporter", [
            "--collector.disable-defaults", "--collector.textfile", "--collector.textfile.directory", directory.path,
            "--web.listen-address", address,
        ], stdin: .null, stdout: .null, stderr: .null)
        defer {
            exporter.signal()
            exporter.waitUntilExit()
        }
        var scraped = ""
        for _ in 0..<100 {
            let answer = try await IntegrationTests.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-sf", "http://\(address)/metrics"], environment: [:])
            if answer.status == 0 { scraped = answer.stdoutText; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(scraped.contains("node_textfile_scrape_error 0"), "\(scraped.suffix(2_000))")
        #expect(scraped.contains("s3backup_last_success_timestamp_seconds{"), "\(scraped.suffix(2_000))")
    }

    /// The tests' reader of the format refuses what the format forbids, so the checks above can fail.
    @Test func theReaderRefusesWhatTheFormatForbids() throws {
        let good = "# HELP a_b A.\n# TYPE a_b gauge\na_b{x=\"1\",y=\"q\\\"\\\\\\n\"} 2\na_b{x=\"2\"} +Inf\n"
        let parsed = try PromText(good)
        #expect(parsed.value("a_b", ["x": "1"]) == 2 && parsed.samples[0].labels["y"] == "q\"\\\n")
        for bad in ["a_b 1", "a_b 1 1700000000\n", "a_b 1\na_b 2\n", "a_b 1\n# TYPE a_b gauge\n", "a_b{x=\"1\"} 1\nc 1\na_b{x=\"2\"} 1\n",
                    "1a 1\n", "a_b{x=1} 1\n", "a_b{x=\"\\t\"} 1\n", "# TYPE a_b gauge\n# TYPE a_b gauge\n", "a_b one\n",
                    "a_b{__x=\"1\"} 1\n", "a_b{x=\"1\" y=\"2\"} 1\n"] {
            #expect(throws: PromText.Violation.self, "\(bad.debugDescription)") { try PromText(bad) }
        }
    }
}
