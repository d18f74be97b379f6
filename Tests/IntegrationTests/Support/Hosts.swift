import Foundation
import Testing

/// Hosts for a fleet test: network namespaces, each joined to this one by a veth pair of its own, reaching the test's
/// servers at `serverAddress`, an address on this namespace's loopback (so cutting one host's link leaves the others
/// theirs). Made with `ip` (iproute2; CI runs as root) and removed, with every link, by `remove`.
/// https://man7.org/linux/man-pages/man8/ip-netns.8.html, https://man7.org/linux/man-pages/man4/veth.4.html
final class Hosts: Sendable {
    /// Where the hosts reach PostgreSQL and the S3 emulator.
    static let serverAddress = "10.213.0.1"
    /// The namespaces' names.
    let names: [String]
    private let links: [String]

    /// `count` hosts, 10.213.N.2 each, with a default route to this namespace over its own link.
    init(count: Int) throws {
        precondition((1...9).contains(count), "one link subnet a host")
        try #require(getuid() == 0, "network namespaces need root, as CI has")
        let tag = String(UUID().uuidString.prefix(4)).lowercased()
        names = (1...count).map { "s3b-\(tag)-h\($0)" }
        links = (1...count).map { "s3b\(tag)r\($0)" }
        var commands = ["ip addr replace \(Self.serverAddress)/32 dev lo"]
        for (index, name) in names.enumerated() {
            let number = index + 1, link = links[index], inside = "s3b\(tag)n\(number)"
            commands += [
                "ip netns add \(name)", "ip link add \(link) type veth peer name \(inside)", "ip link set \(inside) netns \(name)",
                "ip addr add 10.213.\(number).1/30 dev \(link)", "ip link set \(link) up",
                "ip -n \(name) addr add 10.213.\(number).2/30 dev \(inside)", "ip -n \(name) link set \(inside) up",
                "ip -n \(name) link set lo up", "ip -n \(name) route add default via 10.213.\(number).1",
            ]
        }
        for command in commands where !shellRun(command) {
            remove()
            throw HelperError("could not make the test's hosts: `\(command)` failed")
        }
    }

    /// Cuts host `index`'s link (0-based): its packets go nowhere, as when a cable is pulled.
    func cut(_ index: Int) { _ = shellRun("ip link set \(links[index]) down") }

    /// Starts `executable` with `arguments` and `environment` on host `index`. `ip netns exec` executes it in place,
    /// so the pid is the program's own.
    func start(on index: Int, _ executable: URL, _ arguments: [String], environment: [String: String],
               output: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", names[index], executable.path] + arguments
        process.environment = environment
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Removes the namespaces (their ends of the links go with them, and so the links) and the loopback address.
    func remove() {
        for name in names { _ = shellRun("ip netns del \(name) 2>/dev/null") }
        for link in links { _ = shellRun("ip link del \(link) 2>/dev/null") }
        _ = shellRun("ip addr del \(Self.serverAddress)/32 dev lo 2>/dev/null")
    }
}
