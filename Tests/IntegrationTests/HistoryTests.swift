import Foundation
import S3
import Testing

/// `s3backup history` over five nights of a primary that changes between them: every line is its run's report, the
/// trend in the last report says how the nights went, and the page's charts are there as Chromium builds it.
@Suite("History of the nights", .timeLimit(.minutes(8)))
struct HistoryTests {
    @Test func fiveNightsOfAChangingPrimary() async throws {
        let fixture = try await BackupFixture("history")
        defer { fixture.remove() }
        try await fixture.seed(40)
        var reports: [[String: Any]] = []
        for night in 0..<5 {
            if night > 0 {
                // Each night the primary grows by night × 3 objects, loses one, and has one rewritten.
                for index in 0..<(night * 3) {
                    try await fixture.sourceClient.putObject(bucket: fixture.primary, key: "new/\(night)/\(index).txt",
                                                             body: BytesBody(Array("night \(night) file \(index)".utf8)))
                }
                try await fixture.sourceClient.deleteObject(bucket: fixture.primary, key: BackupFixture.seededKey(night))
                try await fixture.sourceClient.putObject(bucket: fixture.primary, key: BackupFixture.seededKey(20 + night),
                                                         body: BytesBody(Array("rewritten on night \(night)".utf8)))
            }
            let result = try await fixture.run()
            #expect(result.status == 0, "night \(night): \(result.stderr)")
            reports.append(try #require(result.reports.last))
        }

        let page = fixture.directory.appendingPathComponent("history.html")
        let shown = try await IntegrationTests.run(Repository.binary, ["history", "--db", fixture.database, "--since", "1d", "--json",
                                                                       "--html", page.path], environment: fixture.environment)
        #expect(shown.status == 0, "\(shown.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout)) as? [String: Any])
        let runs = try #require(document["runs"] as? [[String: Any]])
        #expect(runs.count == 5)
        func number(_ object: [String: Any], _ path: String...) -> Double? {
            var value: Any? = object
            for key in path { value = (value as? [String: Any])?[key] }
            return (value as? NSNumber)?.doubleValue
        }
        for (entry, report) in zip(runs, reports) {
            #expect(number(entry, "run") == number(report, "run"))
            #expect(entry["verdict"] as? String == "success")
            #expect(number(entry, "source_objects") == number(report, "plan", "source_objects"))
            #expect(number(entry, "source_bytes") == number(report, "plan", "source_bytes"))
            #expect(number(entry, "destination_objects") == number(report, "plan", "backup_objects"))
            #expect(number(entry, "copied") == number(report, "work", "copied"))
            #expect(number(entry, "copied_bytes") == number(report, "work", "copied_bytes"))
            #expect(number(entry, "deleted") == number(report, "work", "deleted"))
            #expect(number(entry, "failed") == 0)
            #expect(number(entry, "retries") == number(report, "retries"))
            #expect(number(entry, "cost_dollars") == number(report, "cost", "run_dollars"))
            #expect(abs((number(entry, "seconds") ?? -1) - (number(report, "seconds") ?? 0)) < 0.001)
        }
        // The primary as planned each night: 40, then + 3 − 1, + 6 − 1, + 9 − 1, + 12 − 1.
        #expect(runs.map { number($0, "source_objects") } == [40, 42, 47, 55, 66])
        #expect(runs.map { number($0, "copied") } == [40, 4, 7, 10, 13])
        #expect(runs.dropFirst().map { number($0, "deleted") } == [1, 1, 1, 1])

        let trend = try #require(reports.last?["trend"] as? String)
        #expect(trend.hasPrefix("last 7 days, 5 runs: all succeeded, primary +65.0 % objects, median "), "\(trend)")

        let text = try await IntegrationTests.run(Repository.binary, ["history", "--db", fixture.database],
                                                  environment: fixture.environment)
        let lines = text.stdoutText.split(separator: "\n")
        #expect(lines.count == 6 && lines.prefix(5).allSatisfy { $0.hasPrefix("run ") && $0.contains("  success  ") }, "\(text.stdoutText)")
        #expect(lines.last?.hasSuffix(": 5 runs: all succeeded, primary +65.0 % objects, median " + (trend.components(separatedBy: "median ").last ?? "")) == true,
                "\(text.stdoutText)")

        let dom = try await ReportPageBrowserTests.render(try String(contentsOf: page, encoding: .utf8))
        for chart in ["objects in the primary and the backup", "bytes in the primary and the backup", "objects copied per night",
                      "duration per night", "failed objects per night"] {
            #expect(ReportPageBrowserTests.contains(dom, "aria-label=\"\(chart)\""), "the chart \(chart) is on the page")
        }
        #expect(Self.count(dom, "<rect class=\"bar\"") == 15, "five bars in each of the three bar charts")
        #expect(Self.count(dom, "<polyline class=\"series\"") == 4, "the primary and the backup in each of the two line charts")
        #expect(ReportPageBrowserTests.contains(dom, "<table class=\"runs\">"))

        // --count-versions prices what the backup keeps besides current versions, as boto3 lists it: the old versions
        // of the four rewritten and four deleted objects at the copies' class (STANDARD_IA, each billed at least
        // 128 KiB), and the four delete markers in STANDARD at their keys' bytes.
        let counted = try await IntegrationTests.run(Repository.binary, ["report", "--db", fixture.database, "--no-verify", "--count-versions",
                                                                         "--json"], environment: fixture.environment)
        #expect(counted.status == 0, "\(counted.stderr)")
        let storage = (try #require(try JSONSerialization.jsonObject(with: Data(counted.stdout)) as? [String: Any])["cost"]
            as? [String: Any])?["storage"] as? [[String: Any]] ?? []
        let noncurrent = Dictionary(storage.filter { $0["current"] as? Bool == false }.map { ($0["storage_class"] as? String ?? "", $0) }) { $1 }
        let script = """
            import boto3, json, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                              aws_access_key_id="AKIDTEST", aws_secret_access_key="test-secret")
            pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=sys.argv[2]))
            old = [v for p in pages for v in p.get("Versions", []) if not v["IsLatest"]]
            markers = [m for p in pages for m in p.get("DeleteMarkers", [])]
            assert {v["StorageClass"] for v in old} == {"STANDARD_IA"} and all(v["Size"] < 131072 for v in old)
            print(json.dumps([len(old), sum(v["Size"] for v in old), len(markers), sum(len(m["Key"].encode()) for m in markers)]))
            """
        let boto = try await IntegrationTests.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, fixture.emulator.server.endpoint,
                                                                                          fixture.backup], environment: ProcessInfo.processInfo.environment)
        #expect(boto.status == 0, "boto3: \(boto.stderr)")
        let listed = try JSONDecoder().decode([Int].self, from: Data(boto.stdout))
        #expect(listed[0] == 8 && listed[2] == 4, "\(listed)")
        #expect(noncurrent.count == 2, "\(storage)")
        let versions = noncurrent["STANDARD_IA"] ?? [:], markers = noncurrent["STANDARD"] ?? [:]
        #expect(number(versions, "objects") == Double(listed[0]) && number(versions, "bytes") == Double(listed[1]))
        #expect(number(markers, "objects") == Double(listed[2]) && number(markers, "bytes") == Double(listed[3]))
        let gib = Double(1 << 30)
        #expect(abs((number(versions, "dollars_per_month") ?? -1) - Double(listed[0] * 131_072) / gib * 0.0125) < 1e-15)
        #expect(abs((number(markers, "dollars_per_month") ?? -1) - Double(listed[3]) / gib * 0.023) < 1e-15)

        #expect(try await IntegrationTests.run(Repository.binary, ["history", "--db", fixture.database, "--since", "yesterday"],
                                               environment: fixture.environment).status == 64)

        // The weekly mail: every run, the drill `verify --db` recorded, the week's costs.
        let drill = try await IntegrationTests.run(Repository.binary, ["verify", "--source", "s3://\(fixture.primary)", "--backup",
                                                                       "s3://\(fixture.backup)", "--db", fixture.database, "--sample", "2"],
                                                   environment: fixture.environment)
        #expect(drill.status == 0, "\(drill.stderr)")
        let sink = try await MailTests.Sink()
        let weekly = try await IntegrationTests.run(Repository.binary, [
            "report", "--db", fixture.database, "--since", "7d", "--mail-to", "ops@example.test", "--mail-from", "backup@example.test",
            "--smtp-url", sink.url, "--json",
        ], environment: fixture.environment)
        #expect(weekly.status == 0, "\(weekly.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(weekly.stdout)) as? [String: Any])
        let costs = runs.compactMap { number($0, "cost_dollars") }.reduce(0, +)
        #expect(abs((number(summary, "run_dollars") ?? -1) - costs) < 1e-12)
        #expect(number(summary, "monthly_dollars") == number(reports.last!, "cost", "monthly_dollars"))
        let message = try #require(try sink.messages().first?.text)
        let subject = MailTests.Sink.subject(of: message)
        #expect(subject.hasPrefix("[s3backup] OK: s3backup from ") && subject.hasSuffix(": 5 runs, 1 drill"), "\(subject)")
        #expect(message.contains("drill passed: 0 keys differ (of 66 in the primary), 2 bodies sampled, 0 different"), "\(message)")
        #expect(message.components(separatedBy: "  success  ").count - 1 == 5, "\(message)")
    }

    /// How many times `text` occurs in `bytes`.
    static func count(_ bytes: [UInt8], _ text: String) -> Int {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return 0 }
        return (0...(bytes.count - needle.count)).filter { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }.count
    }
}
