import Foundation

/// Prometheus's text exposition format, read as strictly as its rules say, for checking what s3backup writes: HELP
/// and TYPE once per family and before its samples, a family's samples together, names and label names as the
/// grammar allows, label values escaped, no sample twice, no timestamp (node_exporter's textfile collector refuses
/// them), a line feed at the end. https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details
struct PromText {
    /// A sample: its name, its labels, its value.
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// A rule the text broke.
    struct Violation: Error, CustomStringConvertible {
        let description: String
    }

    private(set) var samples: [Sample] = []
    private(set) var types: [String: String] = [:]

    /// Parses `text`; throws at the first line that breaks a rule.
    init(_ text: String) throws {
        guard text.hasSuffix("\n") else { throw Violation(description: "the text does not end with a line feed") }
        var helped: Set<String> = [], done: Set<String> = [], current: String?  // families whose samples ended, the one going on
        var seen: Set<String> = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            func fail(_ why: String) -> Violation { Violation(description: "line \(number + 1) \(String(line).debugDescription): \(why)") }
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let words = line.split(separator: " ", maxSplits: 3).map(String.init)
                guard words.count >= 3, Self.isName(words[2]) else { throw fail("a comment names no metric") }
                let family = words[2]
                if samples.contains(where: { Self.family(of: $0.name) == family }) {
                    throw fail("\(family)'s HELP or TYPE after its samples")
                }
                if words[1] == "HELP" {
                    guard helped.insert(family).inserted else { throw fail("a second HELP for \(family)") }
                } else {
                    guard words.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(words[3]) else {
                        throw fail("not a TYPE")
                    }
                    guard types.updateValue(words[3], forKey: family) == nil else { throw fail("a second TYPE for \(family)") }
                }
                continue
            }
            if line.hasPrefix("#") || line.isEmpty { continue }
            let sample = try Self.sample(line, fail: fail)
            let family = Self.family(of: sample.name)
            if family != current {
                if let current { done.insert(current) }
                guard !done.contains(family) else { throw fail("\(family)'s samples are not together") }
                current = family
            }
            let identity = sample.name + sample.labels.sorted { $0.key < $1.key }.map { "\u{0}\($0.key)=\($0.value)" }.joined()
            guard seen.insert(identity).inserted else { throw fail("the same sample twice") }
            samples.append(sample)
        }
    }

    /// The samples named `name` whose labels include `labels`.
    func values(_ name: String, _ labels: [String: String] = [:]) -> [Double] {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }.map(\.value)
    }

    /// The one value of `name` with `labels`; nil when there is none or more than one.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let found = values(name, labels)
        return found.count == 1 ? found[0] : nil
    }

    private static func family(of name: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return name
    }

    static func isName(_ name: String, label: Bool = false) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || (!label && $0 == ":")
        }
    }

    private static func sample(_ line: Substring, fail: (String) -> Violation) throws -> Sample {
        var rest = Substring(line)
        let name = String(rest.prefix { $0 != "{" && $0 != " " })
        guard isName(name) else { throw fail("not a metric name") }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let labelName = String(rest.prefix { $0 != "=" })
                guard isName(labelName, label: true), !labelName.hasPrefix("__") else { throw fail("not a label name: \(labelName)") }
                rest = rest.dropFirst(labelName.count)
                guard rest.hasPrefix("=\"") else { throw fail("a label value is not quoted") }
                rest = rest.dropFirst(2)
                var value = "", closed = false
                while let character = rest.popFirst() {
                    if character == "\\" {
                        switch rest.popFirst() {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw fail("an escape the format does not have")
                        }
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { throw fail("a label value does not end") }
                guard labels.updateValue(value, forKey: labelName) == nil else { throw fail("the label \(labelName) twice") }
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { throw fail("labels are not separated by commas") }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw fail("no space before the value") }
        let fields = rest.dropFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 1 else { throw fail(fields.count == 2 ? "a timestamp (the textfile collector refuses them)" : "not one value") }
        let text = String(fields[0])
        guard let value = ["+Inf": Double.infinity, "-Inf": -.infinity, "NaN": .nan][text] ?? Double(text),
              text.allSatisfy({ $0.isNumber || "+-.eE".contains($0) }) || ["+Inf", "-Inf", "NaN"].contains(text) else {
            throw fail("not a value: \(text)")
        }
        return Sample(name: name, labels: labels, value: value)
    }
}
