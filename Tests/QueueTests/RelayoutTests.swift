import Foundation
@testable import Queue
import TestSupport
import Testing

@Suite("The record of copies made with another part layout", .timeLimit(.minutes(2)))
struct RelayoutTests {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory() }

    @Test func aRecordIsFoundByPairAndKeyAndReplacedByTheNext() async throws {
        let queue = try SQLiteQueue(path: directory.file("queue.db"))
        let key = "clients/007/caf\u{E9} NFC/big.bin"
        #expect(try await queue.relayout(pair: "s3://a -> s3://b", key: key) == nil)
        let first = RelayoutRecord(pair: "s3://a -> s3://b", key: key, size: 10_486_994,
                                   sourceETag: "0123abcd-3", backupETag: "4567ef01-2")
        try await queue.recordRelayout(first)
        #expect(try await queue.relayout(pair: first.pair, key: key) == first)
        #expect(try await queue.relayout(pair: "s3://a -> s3://c", key: key) == nil, "another pair has its own records")
        #expect(try await queue.relayout(pair: first.pair, key: "clients/007/cafe\u{301} NFC/big.bin") == nil,
                "keys are bytes: the NFD spelling is another key")

        var second = first
        second.sourceETag = "89abcdef-3"
        try await queue.recordRelayout(second)
        #expect(try await SQLiteQueue(path: directory.file("queue.db")).relayout(pair: first.pair, key: key) == second)
    }
}
