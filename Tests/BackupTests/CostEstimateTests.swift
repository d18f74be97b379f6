@testable import Backup
import Foundation
import Queue
import S3
import TestSupport
import Testing

@Suite("the cost estimate, by hand from the price table", .timeLimit(.minutes(1)))
struct CostEstimateTests {
    private func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-12 }

    /// Every kind of request priced as the table says, transfer only between regions, storage with the minimum
    /// billed size of Infrequent Access and the index of the archives, noncurrent versions when listed.
    @Test func aFixedRunCostsWhatTheTableSays() {
        let gib: Int64 = 1 << 30
        let requests = ["CopyObject": 1_000, "PutObject": 500, "UploadPartCopy": 150, "CompleteMultipartUpload": 50,
                        "ListObjectsV2": 40, "HeadObject": 2_990, "HeadBucket": 10, "DeleteObjects": 7, "AbortMultipartUpload": 1,
                        "RestoreObject": 2]
        let current = ["STANDARD_IA": StorageTally(objects: 1_000, bytes: 100 * gib, shortOfMinimum: 10 << 20),
                       "GLACIER": StorageTally(objects: 100, bytes: gib), "REDUCED_REDUNDANCY": StorageTally(objects: 1, bytes: 5)]
        let cost = CostEstimate(prices: .aws, requests: requests, storageClass: "STANDARD_IA", copiedBytes: 50 * gib, crossRegion: true,
                                retrievalDollars: 1.5, current: current,
                                noncurrent: ["STANDARD_IA": StorageTally(objects: 10, bytes: gib)])

        let kinds = Dictionary(uniqueKeysWithValues: cost.requests.map { ($0.kind, $0) })
        #expect(kinds[.write]?.count == 1_700 && close(kinds[.write]!.dollars, 1_700 * 0.01 / 1_000))
        #expect(kinds[.list]?.count == 40 && close(kinds[.list]!.dollars, 40 * 0.005 / 1_000))
        #expect(kinds[.read]?.count == 3_000 && close(kinds[.read]!.dollars, 3_000 * 0.0004 / 1_000))
        #expect(kinds[.delete]?.count == 8 && kinds[.delete]?.dollars == 0)
        #expect(kinds[.retrieval]?.count == 2 && kinds[.retrieval]?.dollars == 0, "priced with the retrievals")
        #expect(cost.transferBytes == 50 * gib && close(cost.transferDollars, 50 * 0.02))
        #expect(close(cost.runDollars, 0.017 + 0.0002 + 0.0012 + 1.0 + 1.5))

        let standardIA = (100 + 10.0 / 1_024) * 0.0125
        let glacier = (1 + 100 * 32.0 / 1_048_576) * 0.0036 + 100 * 8.0 / 1_048_576 * 0.023
        let noncurrent = 1 * 0.0125
        let lines = Dictionary(uniqueKeysWithValues: cost.storage.map { ("\($0.current ? "" : "old ")\($0.storageClass)", $0) })
        #expect(close(lines["STANDARD_IA"]!.dollarsPerMonth, standardIA))
        #expect(close(lines["GLACIER"]!.dollarsPerMonth, glacier))
        #expect(close(lines["old STANDARD_IA"]!.dollarsPerMonth, noncurrent))
        #expect(lines["REDUCED_REDUNDANCY"]?.perGBMonth == nil && lines["REDUCED_REDUNDANCY"]?.dollarsPerMonth == 0)
        #expect(close(cost.monthlyDollars, standardIA + glacier + noncurrent))
        #expect(cost.unpriced == ["REDUCED_REDUNDANCY"] && cost.countsNoncurrent)
        #expect(cost.lines(destination: "backup").last == "no price for REDUCED_REDUNDANCY: left out (set one with --price storage.CLASS=USD)")
    }

    @Test func oneRegionMovesNothingBetweenRegionsAndAnUnpricedClassIsSaid() {
        let cost = CostEstimate(prices: .aws, requests: ["PutObject": 10], storageClass: "EXPRESS_ONEZONE", copiedBytes: 1 << 30,
                                crossRegion: false, retrievalDollars: 0, current: [:], noncurrent: nil)
        #expect(cost.transferBytes == 0 && cost.transferDollars == 0)
        #expect(cost.requests.first?.perThousand == nil && cost.unpriced == ["EXPRESS_ONEZONE"])
        #expect(cost.lines(destination: "backup")[1] == "to keep the backup: about $0.00 a month: nothing stored; noncurrent versions "
            + "not counted (--count-versions lists them)")
    }

    @Test func pricesAreReplacedOneByOneAndNonsenseIsRefused() throws {
        let prices = try Prices.aws.applying("storage.STANDARD_IA=0.0138").applying("transfer=0.09").applying("write.EXPRESS_ONEZONE=0.0025")
        #expect(prices.storage["STANDARD_IA"] == 0.0138 && prices.transfer == 0.09 && prices.write["EXPRESS_ONEZONE"] == 0.0025)
        #expect(prices.storage["STANDARD"] == 0.023, "the rest stay")
        for nonsense in ["storage=1", "storage.STANDARD", "transfer=-1", "transfer=nan", "fee.STANDARD=1", "transfer=inf"] {
            #expect(throws: PriceError.self, "\(nonsense)") { try Prices.aws.applying(nonsense) }
        }
    }

    /// Planning tallies the destination as the run leaves it: kept objects at the class they list with, copies at the
    /// run's class, extras apart; and it learns both buckets' regions.
    @Test func planningTalliesTheDestinationByClassAndLearnsTheRegions() async throws {
        let store = InMemoryObjectStore()
        store.createBucket("primary", region: "us-east-2")
        store.createBucket("backup", region: "us-west-2")
        let big = String(repeating: "x", count: 200 << 10)
        _ = try store.put("primary", "data/new", Array(big.utf8))
        _ = try store.put("primary", "data/changed", Array("v2 longer".utf8))
        _ = try store.put("backup", "bk/changed", Array("v1".utf8))
        _ = try store.put("primary", "data/same", Array("same".utf8))
        _ = try store.put("backup", "bk/same", Array("same".utf8), options: WriteOptions(storageClass: "GLACIER_IR"))
        _ = try store.put("backup", "bk/extra", Array("gone from the primary".utf8))
        var parameters = RunParameters(source: Side(url: "s3://primary/data"), backup: Side(url: "s3://backup/bk"))
        parameters.storageClass = "STANDARD_IA"
        let findings = try await Planner(parameters: parameters, source: store, backup: store).planAll(into: CollectingSink())

        #expect(findings.kept["STANDARD_IA"] == StorageTally(objects: 2, bytes: Int64(200 << 10) + 9,
                                                             shortOfMinimum: StorageTally.minimumBilledSize - 9))
        #expect(findings.kept["GLACIER_IR"] == StorageTally(objects: 1, bytes: 4, shortOfMinimum: StorageTally.minimumBilledSize - 4))
        #expect(findings.extraByClass == ["STANDARD": StorageTally(objects: 1, bytes: 21, shortOfMinimum: StorageTally.minimumBilledSize - 21)])
        #expect(findings.sourceRegion == "us-east-2" && findings.destinationRegion == "us-west-2")
    }

    /// `--count-versions` tallies what the destination keeps besides its current versions: each noncurrent version at
    /// its class and size, each delete marker in STANDARD at its key's bytes; nothing outside the location.
    @Test func noncurrentVersionsAndDeleteMarkersAreTalliedByClass() async throws {
        let store = InMemoryObjectStore()
        store.createBucket("primary")
        store.createBucket("backup")
        _ = try store.put("backup", "bk/a", Array("first".utf8))
        _ = try store.put("backup", "bk/a", Array("second!".utf8), options: WriteOptions(storageClass: "STANDARD_IA"))
        _ = try store.put("backup", "bk/gone", Array(repeating: 1, count: 300 << 10), options: WriteOptions(storageClass: "STANDARD_IA"))
        try await store.deleteObject(bucket: "backup", key: "bk/gone", versionID: nil)
        _ = try store.put("backup", "other/a", Array("elsewhere".utf8))
        _ = try store.put("backup", "other/a", Array("elsewhere too".utf8))
        let parameters = RunParameters(source: Side(url: "s3://primary/data"), backup: Side(url: "s3://backup/bk"))
        let tally = try await Planner(parameters: parameters, source: store, backup: store).noncurrentInDestination()

        #expect(tally == ["STANDARD": StorageTally(objects: 2, bytes: 5 + 7, shortOfMinimum: 2 * StorageTally.minimumBilledSize - 12),
                          "STANDARD_IA": StorageTally(objects: 1, bytes: 300 << 10)])
    }
}
