import ArgumentParser
import Foundation
import S3

extension S3Backup {
    /// `s3backup ls`: every key under a bucket or prefix.
    struct List: S3BackupCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls",
            abstract: "Print every key under s3://BUCKET[/PREFIX], one per line, exactly as stored.",
            discussion: "Example: s3backup ls s3://primary-bucket/clients/ --json\n\n" + "Keys are printed byte for byte; a key containing a newline spans two lines, so use --json "
                + "where keys may hold control characters.\n\n"
                + ConfigFile.helpText(for: "ls") + "\n\n"
                + ExitStatus.helpText(for: ExitStatus.everyCommand + ExitStatus.reachingS3)
        )

        @Argument(help: "s3://BUCKET or s3://BUCKET/PREFIX")
        var location: String

        @Flag(help: "One JSON object per line: key, size, etag, last_modified, storage_class.")
        var json = false

        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            do {
                _ = try S3URL(location)
            } catch {
                throw ValidationError("\(error)")
            }
        }

        func execute() async throws {
            let url = try S3URL(location)
            let client = try connection.makeClient()
            var output = StandardOutput()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for try await page in client.listObjects(bucket: url.bucket, prefix: url.prefix) {
                for object in page.objects {
                    if json {
                        try output.line(String(decoding: try encoder.encode(ListedObject(object)), as: UTF8.self))
                    } else {
                        try output.record(object.key)
                    }
                }
                try output.flush()
            }
        }
    }
}

/// The `--json` line of one object.
private struct ListedObject: Encodable {
    let key: String
    let size: Int64
    let etag: String
    let lastModified: String
    let storageClass: String

    init(_ object: ObjectSummary) {
        key = object.key
        size = object.size
        etag = object.etag.quoted
        lastModified = object.lastModified
        storageClass = object.storageClass
    }

    enum CodingKeys: String, CodingKey {
        case key, size, etag
        case lastModified = "last_modified"
        case storageClass = "storage_class"
    }
}
