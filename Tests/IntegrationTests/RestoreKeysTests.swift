import Backup
import Foundation
import S3
import Testing

/// `restore --keys-from` loses nothing silently, and `restore --dryrun` names the keys it would copy and delete.
@Suite("s3backup restore by key list and dry run, against moto", .timeLimit(.minutes(10)))
struct RestoreKeysTests {
    private func writeList(_ fixture: BackupFixture, _ name: String, _ bytes: [UInt8]) throws -> String {
        let path = fixture.directory.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func json(_ result: CommandResult) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [[String: Any]], "\(result.stdoutText)")
    }

    /// Listed keys the backup lacks (now, or at the --as-of moment) are named, in text and in JSON, and make the
    /// restore partial (2); the keys it holds are restored all the same.
    @Test func listedKeysNotInTheBackupAreNamedAndMakeItPartial() async throws {
        let fixture = try await BackupFixture("keys-absent")
        defer { fixture.remove() }
        try await fixture.seed(30)
        #expect(try await fixture.run().status == 0)
        // A moment between the first backup and an object written later (LastModified has whole seconds).
        let moment = S3Time.string(try await WholeSeconds.momentBetweenWrites())
        try await fixture.sourceClient.putObject(bucket: fixture.primary, key: "later.bin", body: BytesBody([7]))
        #expect(try await fixture.run().status == 0)

        let lost = [5, 7, 9].map { BackupFixture.seededKey($0) }
        _ = try await fixture.sourceClient.deleteObjects(bucket: fixture.primary, lost.map { ObjectVersionRef(key: $0) })
        let absent = ["clients/never/backed-up.bin", "typo\u{2019}d key"]
        let list = try writeList(fixture, "keys.txt", Array(([lost[0], absent[0], lost[1], lost[2], absent[1]]
                + [BackupFixture.seededKey(11)]).map { $0 + "\n" }.joined().utf8))

        let dry = try await fixture.restore(["--dryrun", "--keys-from", list])
        #expect(dry.status == 2, "a dry run says the restore would be partial: \(dry.stdoutText) \(dry.stderr)")
        #expect(dry.stdoutText.contains("3 to copy, 0 to overwrite, 1 unchanged"), "\(dry.stdoutText)")
        #expect(dry.stdoutText.contains("not in the backup, so not restored (the restore is partial, exit 2): \(absent[0].debugDescription), \(absent[1].debugDescription)"))

        let restored = try await fixture.restore(["--yes", "--keys-from", list])
        #expect(restored.status == 2, "\(restored.stdoutText) \(restored.stderr)")
        #expect(restored.stdoutText.contains("keys listed in \(list): 6; 3 to copy, 1 unchanged, 0 to delete, 2 not in the backup"))
        #expect(restored.stdoutText.contains(absent[0].debugDescription) && restored.stdoutText.contains(absent[1].debugDescription))
        // The restore's report calls each side by its name: it copies from the backup into the primary.
        for words in ["restore s3://\(fixture.backup)", "listed: backup ", "3 not in the primary", "only in the primary ("] {
            #expect(restored.stdoutText.contains(words), "\(words): \(restored.stdoutText)")
        }
        let primary = Set(try await fixture.emulator.keys(fixture.primary))
        #expect(primary.isSuperset(of: lost), "the listed keys the backup holds are restored")

        // JSON names every one, on the restore's own report.
        let again = try await fixture.restore(["--yes", "--json", "--keys-from", list])
        #expect(again.status == 2)
        let listed = try #require(try json(again).last?["listed_keys"] as? [String: Any])
        #expect(listed["not_in_backup"] as? [String] == absent)
        #expect(listed["unchanged"] as? Int == 4)
        #expect(listed["listed"] as? Int == 6)

        // As of the moment before later.bin was written, it was not in the backup: named, partial; today it is.
        let pointInTime = try writeList(fixture, "later.txt", Array("later.bin\n\(lost[0])\n".utf8))
        let then = try await fixture.restore(["--yes", "--as-of", moment, "--keys-from", pointInTime])
        #expect(then.status == 2, "\(then.stdoutText) \(then.stderr)")
        #expect(then.stdoutText.contains("1 not in the backup as of "), "\(then.stdoutText)")
        #expect(then.stdoutText.contains("not in the backup, so not restored (the restore is partial, exit 2): \"later.bin\""))
        let now = try await fixture.restore(["--yes", "--keys-from", pointInTime])
        #expect(now.status == 0, "\(now.stdoutText) \(now.stderr)")

        // With --delete, a listed key the backup lacked but the primary holds is deleted: accounted for, not missing.
        let deleted = try await fixture.restore(["--yes", "--delete", "--as-of", moment, "--keys-from", pointInTime])
        #expect(deleted.status == 0, "\(deleted.stdoutText) \(deleted.stderr)")
        #expect(deleted.stdoutText.contains("2; 0 to copy, 1 unchanged, 1 to delete, 0 not in the backup"), "\(deleted.stdoutText)")
        #expect(try await fixture.emulator.keys(fixture.primary, prefix: "later").isEmpty)
    }

    /// A restore by key list that lacks keys is not mailed as if all went well: a PARTIAL mail names the keys.
    @Test func aPartialRestoreIsMailedWithItsMissingKeys() async throws {
        let sink = try await MailTests.Sink()
        let fixture = try await BackupFixture("keys-mail")
        defer { fixture.remove() }
        try await fixture.seed(5)
        #expect(try await fixture.run().status == 0)
        let list = try writeList(fixture, "keys.txt", Array("\(BackupFixture.seededKey(1))\nnever-backed-up\n".utf8))
        let restored = try await fixture.restore(["--yes", "--keys-from", list, "--mail-to", "ops@example.test",
                                                   "--mail-from", "backup@example.test", "--smtp-url", sink.url])
        #expect(restored.status == 2, "\(restored.stdoutText) \(restored.stderr)")
        let messages = try sink.messages().map(\.text)
        #expect(messages.count == 2, "the report's mail, and the mail naming the keys")
        let partial = try #require(messages.first { $0.contains("never-backed-up") }, "\(messages)")
        #expect(subject(of: partial).hasPrefix("[s3backup] PARTIAL: restore s3://\(fixture.backup)"), "\(subject(of: partial))")
        #expect(subject(of: partial).hasSuffix(": 1 listed key not in the backup"))
        #expect(partial.contains("not in the backup, so not restored (the restore is partial, exit 2): \"never-backed-up\""), "\(partial)")
    }

    /// A mail's Subject header, decoded when it is base64 (`=?UTF-8?B?…?=`, for a subject that is not ASCII).
    private func subject(of message: String) -> String {
        guard let line = message.split(separator: "\r\n").first(where: { $0.hasPrefix("Subject: ") }) ?? message
            .split(separator: "\n").first(where: { $0.hasPrefix("Subject: ") }) else { return "" }
        let value = line.dropFirst("Subject: ".count).trimmingCharacters(in: .whitespacesAndNewlines)
        guard value.hasPrefix("=?UTF-8?B?"), value.hasSuffix("?="),
              let data = Data(base64Encoded: String(value.dropFirst(10).dropLast(2))) else { return value }
        return String(decoding: data, as: UTF8.self)
    }

    /// A file with Windows line ends on some lines (today: "0 to copy" and exit 0) is refused with the line numbers
    /// and what to do; --exact-keys takes a carriage return at a line's end as the key's, and restores such a key.
    @Test func windowsLineEndsAreRefusedUnlessTheKeysAreExact() async throws {
        let fixture = try await BackupFixture("keys-crlf")
        defer { fixture.remove() }
        try await fixture.seed(10)
        let endsInCR = "ends-in-cr\r"
        try await fixture.sourceClient.putObject(bucket: fixture.primary, key: endsInCR, body: BytesBody(Array("cr".utf8)))
        #expect(try await fixture.run().status == 0)
        let lost = [BackupFixture.seededKey(1), BackupFixture.seededKey(2), endsInCR]
        _ = try await fixture.sourceClient.deleteObjects(bucket: fixture.primary, lost.map { ObjectVersionRef(key: $0) })

        let mixed = try writeList(fixture, "mixed.txt", Array("\(lost[0])\r\n\(lost[1])\n".utf8))
        let refused = try await fixture.restore(["--yes", "--keys-from", mixed])
        #expect(refused.status == 64, "\(refused.stdoutText) \(refused.stderr)")
        let line = errorLine(refused)
        #expect(line.contains("line 1 ends in a carriage return"), "\(line)")
        #expect(line.contains("dos2unix") && line.contains("--exact-keys"), "\(line)")
        let everyLine = try writeList(fixture, "crlf.txt", Array("\(lost[0])\r\n\(lost[1])\r\n".utf8))
        #expect(errorLine(try await fixture.restore(["--yes", "--keys-from", everyLine])).contains("lines 1, 2 end in a carriage return"))
        #expect(try await fixture.emulator.keys(fixture.primary).count == 8, "nothing restored")

        let exact = try writeList(fixture, "exact.txt", Array("\(endsInCR)\n\(lost[1])\n".utf8))
        let restored = try await fixture.restore(["--yes", "--exact-keys", "--keys-from", exact])
        #expect(restored.status == 0, "\(restored.stdoutText) \(restored.stderr)")
        let primary = try await fixture.emulator.keys(fixture.primary).map { Array($0.utf8) }
        #expect(primary.contains(Array(endsInCR.utf8)), "the key ending in a carriage return is restored byte for byte")
        #expect(primary.contains(Array(lost[1].utf8)))
        #expect(!primary.contains(Array(lost[0].utf8)))
    }

    /// A dry run names the keys it would copy and delete: the first 20 in text, every one with --json.
    @Test func aDryRunListsTheKeysToCopyAndDelete() async throws {
        let fixture = try await BackupFixture("keys-dryrun")
        defer { fixture.remove() }
        try await fixture.seed(40)
        #expect(try await fixture.run().status == 0)
        let lost = (0..<25).map { BackupFixture.seededKey($0) }
        _ = try await fixture.sourceClient.deleteObjects(bucket: fixture.primary, lost.map { ObjectVersionRef(key: $0) })
        let extras = ["written-after/1", "written-after/2"]
        for key in extras { try await fixture.sourceClient.putObject(bucket: fixture.primary, key: key, body: BytesBody([1])) }
        let ordered = lost.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }

        let text = try await fixture.restore(["--dryrun", "--delete"])
        #expect(text.status == 0, "\(text.stderr)")
        let output = text.stdoutText
        #expect(output.contains("25 to copy, 0 to overwrite, 15 unchanged, 2 to delete"), "\(output)")
        #expect(output.contains("to copy or overwrite: " + ordered.prefix(20).map(\.debugDescription).joined(separator: ", ")
            + " … and 5 more (the first 20 are shown"), "\(output)")
        #expect(!output.contains(ordered[20].debugDescription))
        #expect(output.contains("to delete: \"written-after/1\", \"written-after/2\""), "\(output)")

        let document = try await fixture.restore(["--dryrun", "--delete", "--json"])
        #expect(document.status == 0, "\(document.stderr)")
        let preview = try #require(try json(document).first)
        let toCopy = try #require(preview["to_copy"] as? [String: Any])
        #expect(toCopy["keys"] as? [String] == ordered)
        #expect(toCopy["total"] as? Int == 25)
        #expect((preview["to_delete"] as? [String: Any])?["keys"] as? [String] == extras)
        #expect(preview.int("plan", "missing") == 25)

        // Without --delete nothing is to be deleted; and nothing was changed by any of it.
        let kept = try await fixture.restore(["--dryrun", "--json"])
        #expect((try json(kept).first?["to_delete"] as? [String: Any])?["total"] as? Int == 0)
        #expect(try await fixture.emulator.keys(fixture.primary).count == 40 - 25 + 2)
    }
}
