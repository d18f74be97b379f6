import Foundation
import Spawn
import Synchronization
import TestSupport
import Testing

/// Hosts for a fleet test: network namespaces, each joined to this one by a veth pair of its own, reaching the test's
/// servers at `serverAddress`, an address on this namespace's loopback (so cutting one host's link leaves the others
/// theirs). Made with `ip` (iproute2; CI runs as root) and removed, with every link, by `remove`.
/// https://man7.org/linux/man-pages/man8/ip-netns.8.html, https://man7.org/linux/man-pages/man4/veth.4.html
///
/// A test process that dies before `remove` (killed, crashed) leaves its namespaces and links behind, and a link's
/// subnet still routed to a dead namespace would take the next test's replies there: so the names carry the owner's
/// pid, hosts left by owners that are gone are removed first, and each host's subnet is one no route uses.
final class Hosts: Sendable {
    /// Where the hosts reach PostgreSQL and the S3 emulator.
    static let serverAddress = "10.213.0.1"
    /// The namespaces' names.
    let names: [String]
    private let links: [String]

    /// `count` hosts, 10.213.N.2 each (N of a free /30), with a default route to this namespace over its own link.
    init(count: Int) throws {
        precondition((1...9).contains(count), "one link subnet a host")
        try #require(getuid() == 0, "network namespaces need root, as CI has")
        Self.removeLeftovers()
        let owner = getpid(), serial = Self.made.add(1, ordering: .relaxed).newValue
        let routed = Self.ip(["-4", "route", "show"])
        let subnets = (1...250).filter { !routed.contains("10.213.\($0).0/30") }.prefix(count)
        guard subnets.count == count else { throw HelperError("no free 10.213.N.0/30 subnets for the test's hosts: \(routed)") }
        names = (1...count).map { "s3b-\(owner)-\(serial)-h\($0)" }
        // Named by subnet, which no other link has (interface names hold 15 bytes, too few for an owner's pid).
        links = subnets.map { "s3bv\($0)" }
        var commands = ["ip addr replace \(Self.serverAddress)/32 dev lo"]
        for (index, name) in names.enumerated() {
            let number = subnets[subnets.startIndex + index], link = links[index], inside = "\(link)p"
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

    /// Sets of hosts made by this process so far, to tell its own apart.
    private static let made = Atomic(0)

    /// Removes the namespaces named `s3b-…` whose owner's pid no longer runs (or that predate owners in names); the
    /// veth pairs with an end in them, and so their routes here, go with them.
    private static func removeLeftovers() {
        for name in ip(["netns", "list"]).split(separator: "\n").compactMap({ $0.split(separator: " ").first }) {
            let parts = name.split(separator: "-")
            guard parts.first == "s3b" else { continue }
            if parts.count == 4, let pid = pid_t(parts[1]), pid == getpid() || kill(pid, 0) == 0 || errno == EPERM { continue }
            _ = shellRun("ip netns del \(name)")
        }
    }

    /// What `ip ARGUMENTS` printed (empty when it failed).
    private static func ip(_ arguments: [String]) -> String {
        (try? ChildProcess.output(of: "/usr/sbin/ip", arguments)) ?? ""
    }

    /// Cuts host `index`'s link (0-based): its packets go nowhere, as when a cable is pulled.
    func cut(_ index: Int) { _ = shellRun("ip link set \(links[index]) down") }

    /// Starts `executable` with `arguments` and `environment` on host `index`. `ip netns exec` executes it in place,
    /// so the pid is the program's own.
    func start(on index: Int, _ executable: URL, _ arguments: [String], environment: [String: String],
               output: URL) throws -> ChildProcess {
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        return try ChildProcess("/usr/sbin/ip", ["netns", "exec", names[index], executable.path] + arguments,
                                environment: environment, stdin: .null, stdout: .file(handle), stderr: .file(handle))
    }

    /// Removes the namespaces (their ends of the links go with them, and so the links) and the loopback address.
    func remove() {
        for name in names { _ = shellRun("ip netns del \(name) 2>/dev/null") }
        for link in links { _ = shellRun("ip link del \(link) 2>/dev/null") }
        _ = shellRun("ip addr del \(Self.serverAddress)/32 dev lo 2>/dev/null")
    }
}
