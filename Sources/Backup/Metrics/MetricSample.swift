import Foundation

/// One sample of Prometheus's text exposition format: a metric name, its labels in order, a value; never a timestamp
/// (node_exporter's textfile collector refuses files whose samples carry one).
/// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
public struct MetricSample: Sendable, Equatable {
    /// The metric's name (`s3backup_last_run_duration_seconds`).
    public var name: String
    /// Label names and values, in the order written.
    public var labels: [(name: String, value: String)]
    /// The value.
    public var value: Double

    /// A sample.
    public init(_ name: String, _ labels: [(name: String, value: String)], _ value: Double) {
        precondition(MetricSample.isName(name), "a metric name matches [a-zA-Z_:][a-zA-Z0-9_:]*")
        precondition(labels.allSatisfy { MetricSample.isName($0.name) && !$0.name.contains(":") }, "label names match [a-zA-Z_][a-zA-Z0-9_]*")
        self.name = name
        self.labels = labels
        self.value = value
    }

    /// Same name, labels and value (NaN equal to NaN, so a rendered file compares with itself).
    public static func == (a: MetricSample, b: MetricSample) -> Bool {
        a.name == b.name && a.labels.elementsEqual(b.labels) { $0 == $1 } && (a.value == b.value || (a.value.isNaN && b.value.isNaN))
    }

    /// The value of the label `name`, if the sample has it.
    public func label(_ name: String) -> String? { labels.first { $0.name == name }?.value }

    /// `name{a="1",b="x\"y"} 3`: label values escaped as the format says (backslash, double quote, line feed).
    public var line: String {
        let labelText = labels.isEmpty ? "" : "{" + labels.map { "\($0.name)=\"\(Self.escape($0.value))\"" }.joined(separator: ",") + "}"
        return "\(name)\(labelText) \(Self.format(value))"
    }

    /// A value as the format writes it: an integer without a fraction, `+Inf`, `-Inf`, `NaN`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func escape(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func isName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0 == ":" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }

    /// The samples of a file this type wrote (`line`s, `#` comments, blank lines); lines it cannot read are skipped:
    /// they are rewritten from what is known, not kept.
    static func parse(_ text: String) -> [MetricSample] {
        text.split(separator: "\n").compactMap { parseLine(Substring($0)) }
    }

    private static func parseLine(_ line: Substring) -> MetricSample? {
        guard !line.hasPrefix("#"), !line.isEmpty else { return nil }
        var rest = line[...]
        let name = String(rest.prefix { $0 != "{" && $0 != " " })
        rest = rest.dropFirst(name.count)
        var labels: [(name: String, value: String)] = []
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let labelName = String(rest.prefix { $0 != "=" })
                rest = rest.dropFirst(labelName.count)
                guard rest.hasPrefix("=\"") else { return nil }
                rest = rest.dropFirst(2)
                var value = "", escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(character == "n" ? "\n" : character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        break
                    } else {
                        value.append(character)
                    }
                }
                labels.append((labelName, value))
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { return nil }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " ", isName(name), labels.allSatisfy({ isName($0.name) }) else { return nil }
        let text = rest.dropFirst()
        let value: Double? = switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
        return value.map { MetricSample(name, labels, $0) }
    }
}
