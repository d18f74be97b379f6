import ArgumentParser
import Backup
import Foundation
import S3

/// Where a command's metrics go: a file for node_exporter's textfile collector, a Pushgateway, or both.
struct MetricsOptions: ParsableArguments {
    @Option(help: "Write s3backup_* metrics for Prometheus to this file (node_exporter's textfile collector: name it *.prom in its directory), replaced atomically; rewritten while a run goes on.")
    var metricsFile: String?
    @Option(help: "Seconds between rewrites of the metrics while a run goes on.") var metricsInterval = 15
    @Option(help: "Also push the metrics to this Prometheus Pushgateway (http://HOST:9091), for hosts without node_exporter.")
    var pushgateway: String?

    func validate() throws {
        guard (1...3_600).contains(metricsInterval) else { throw ValidationError("--metrics-interval must be 1 to 3600 seconds") }
        if let pushgateway { do { _ = try Pushgateway(url: pushgateway) } catch { throw ValidationError("\(error)") } }
        var directory: ObjCBool = false
        if let metricsFile, FileManager.default.fileExists(atPath: metricsFile, isDirectory: &directory), directory.boolValue {
            throw ValidationError("--metrics-file \(metricsFile) is a directory: name a file in it (s3backup.prom)")
        }
    }

    /// The publisher for a command whose metrics carry `labels` until it has a report; one that publishes nothing
    /// unless `enabled` (a dry run) and metrics were asked for.
    func publisher(_ labels: RunMetrics, enabled: Bool = true) throws -> MetricsPublisher {
        MetricsPublisher(file: enabled ? metricsFile.map(MetricsFile.init) : nil,
                         gateway: enabled ? try pushgateway.map { try Pushgateway(url: $0) } : nil,
                         labels: labels, interval: .seconds(metricsInterval))
    }
}

/// Writes (and pushes) a command's metrics: the progress of its run while it goes on, and how it ended, whatever
/// the way (a report, an error, a stop). A metrics file or gateway that fails is said on standard error; it never
/// changes the command's outcome.
final class MetricsPublisher: Sendable {
    let file: MetricsFile?
    let gateway: Pushgateway?
    let labels: RunMetrics
    let interval: Duration
    private let started = Date()
    private let ending = LockedBox<(metrics: RunMetrics, samples: @Sendable (Int32, Date) -> [MetricSample])?>(nil)

    init(file: MetricsFile?, gateway: Pushgateway?, labels: RunMetrics, interval: Duration) {
        self.file = file
        self.gateway = gateway
        self.labels = labels
        self.interval = interval
    }

    /// Whether any metrics are asked for.
    var isEnabled: Bool { file != nil || gateway != nil }

    /// The runner's hook for progress gauges; nil when no metrics are asked for.
    var progress: (@Sendable (RunMetrics, [MetricSample]) -> Void)? {
        guard isEnabled else { return nil }
        return { [self] metrics, samples in
            write(samples, of: metrics, scope: .progress)
            if let gateway { Task { await self.push(samples, of: metrics, to: gateway) } }
        }
    }

    /// The report the command's metrics end with (the last one told wins).
    func ended(with report: BackupReport) {
        ending.mutate { $0 = (RunMetrics(report), { status, end in RunMetrics(report).finished(report, status: status, at: end) }) }
    }

    /// The drill the command's metrics end with.
    func ended(with result: Drill.Result, seconds: Double) {
        let mismatches = result.comparison.differences + result.bodyMismatches.count, sampled = result.sampled.count
        ending.mutate { [labels] in
            $0 = (labels, { status, end in labels.drilled(mismatches: mismatches, sampled: sampled, status: status, seconds: seconds, at: end) })
        }
    }

    /// Runs `body`, then writes how it ended: its exit status, with the report or drill it told of, if any.
    func reporting(_ body: () async throws -> Void) async throws {
        var status: Int32 = 0
        do {
            try await body()
        } catch let exit as ExitCode {
            status = exit.rawValue
            await finish(status: status)
            throw exit
        } catch {
            status = ExitStatus.of(error).rawValue
            await finish(status: status)
            throw error
        }
        await finish(status: status)
    }

    private func finish(status: Int32) async {
        guard isEnabled else { return }
        let end = Date()
        let (metrics, samples) = ending.value.map { ($0.metrics, $0.samples(status, end)) }
            ?? (labels, labels.ended(status: status, seconds: end.timeIntervalSince(started), at: end))
        write(samples, of: metrics, scope: .end)
        if let gateway { await push(samples, of: metrics, to: gateway) }
    }

    private func write(_ samples: [MetricSample], of metrics: RunMetrics, scope: MetricsFile.Scope) {
        guard let file else { return }
        do { try file.write(samples, of: metrics, scope: scope) } catch { StandardError.say("warning: \(error)") }
    }

    private func push(_ samples: [MetricSample], of metrics: RunMetrics, to gateway: Pushgateway) async {
        do { try await gateway.push(samples, of: metrics) } catch { StandardError.say("warning: \(error)") }
    }
}
