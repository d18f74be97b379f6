import Foundation

/// A Prometheus metrics file for node_exporter's textfile collector: rewritten whole each time, into a temporary file
/// in the same directory (not matching `*.prom`, so the collector never reads it) that is then renamed over the
/// old one, so a reader sees the old file or the new one and never half of either.
/// https://github.com/prometheus/node_exporter#textfile-collector
///
/// Samples of other pairs and kinds already in the file are kept: `run`, `restore` and `verify` may share one file.
public final class MetricsFile: Sendable {
    /// What a write replaces of the samples of its pair and kind.
    public enum Scope: Sendable {
        /// The gauges of a run going on (`s3backup_run_*`); the last run's numbers stay.
        case progress
        /// Everything, the time of the last success aside when this run did not succeed.
        case end
    }

    /// Where the file is.
    public let path: String
    private let lock = NSLock()

    /// The file at `path`.
    public init(path: String) { self.path = path }

    /// Writes `samples` of `metrics`' pair and kind into the file, replacing what `scope` says.
    public func write(_ samples: [MetricSample], of metrics: RunMetrics, scope: Scope) throws {
        try lock.withLock {
            let old = (try? String(contentsOfFile: path, encoding: .utf8)).map(MetricSample.parse) ?? []
            let replaced = Set(samples.map(\.name))
            let kept = old.filter { sample in
                guard metrics.owns(sample) else { return true }
                switch scope {
                case .progress: return !sample.name.hasPrefix("s3backup_run_")
                case .end: return sample.name == "s3backup_last_success_timestamp_seconds" && !replaced.contains(sample.name)
                }
            }
            try replace(with: Self.render(kept + samples))
        }
    }

    /// The text of `samples`: each known family once, with its HELP and TYPE, its samples in the order given.
    static func render(_ samples: [MetricSample]) -> String {
        var text = ""
        for family in RunMetrics.families {
            let members = samples.filter { $0.name == family.name }
            guard !members.isEmpty else { continue }
            text += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type)\n"
            text += members.map { $0.line + "\n" }.joined()
        }
        return text
    }

    /// Writes `text` to a temporary file beside `path`, flushes it to disk and renames it over `path`.
    /// https://man7.org/linux/man-pages/man2/rename.2.html ("the replacement is atomic")
    private func replace(with text: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError(path: temporary, operation: "write the metrics to", code: errno) }
        // Readable by node_exporter's user whatever the umask (the systemd unit's is 0077); a metrics file holds no secret.
        _ = fchmod(descriptor, 0o644)
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else {
                let code = errno
                close(descriptor)
                unlink(temporary)
                throw FileError(path: temporary, operation: "write the metrics to", code: code)
            }
            bytes = bytes.dropFirst(written)
        }
        let synced = fsync(descriptor) == 0 ? 0 : errno
        close(descriptor)
        guard synced == 0, rename(temporary, path) == 0 else {
            let code = synced == 0 ? errno : synced
            unlink(temporary)
            throw FileError(path: path, operation: "replace the metrics file", code: code)
        }
    }
}
