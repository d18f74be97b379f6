import Foundation
import S3
import TestSupport
import Testing

/// How the client copes where an S3 implementation answers otherwise than AWS documents (seen on Ceph's RGW),
/// with scripted answers: no server.
@Suite("Provider differences", .timeLimit(.minutes(1)))
struct ProviderDifferenceTests {
    @Test func aCompletionWithoutAnETagIsReadBackFromTheVersionWritten() async throws {
        let (client, transport) = ScriptedTransport.client([
            .headBucket,
            .status(200, "<CompleteMultipartUploadResult><Key>k</Key><ETag></ETag></CompleteMultipartUploadResult>",
                    headers: ["x-amz-version-id": "v7"]),
            .status(200, headers: ["etag": "\"0123abcd-2\"", "content-length": "12"]),
        ])
        let result = try await client.completeMultipartUpload(bucket: "b", key: "k", uploadID: "u",
                                                              parts: [CompletedPart(number: 1, etag: ETag("p1"))])
        #expect(result.etag == ETag("0123abcd-2"))
        #expect(result.versionID == "v7")
        #expect(transport.sent.last?.method == "HEAD")
        #expect(transport.sent.last?.url.hasSuffix("/b/k?versionId=v7") == true)
    }

    @Test func theNullVersionIsReadBackAsTheCurrentObject() async throws {
        let (client, transport) = ScriptedTransport.client([
            .headBucket,
            .status(200, "<CompleteMultipartUploadResult><ETag/></CompleteMultipartUploadResult>", headers: ["x-amz-version-id": "null"]),
            .status(200, headers: ["etag": "\"0123abcd-1\""]),
        ])
        _ = try await client.completeMultipartUpload(bucket: "b", key: "k", uploadID: "u", parts: [CompletedPart(number: 1, etag: ETag("p"))])
        #expect(transport.sent.last?.url.hasSuffix("/b/k") == true)
    }

    @Test func anUnquotedCopyETagIsTheSourcesETag() async throws {
        let (client, _) = ScriptedTransport.client([
            .headBucket, .status(200, "<CopyObjectResult><ETag>9CFD00FF</ETag></CopyObjectResult>"),
        ])
        let result = try await client.copyObject(from: ObjectLocation(bucket: "a", key: "k"), to: "b", key: "k")
        #expect(result.etag == ETag("\"9cfd00ff\""))
        #expect(result.encryption == nil, "no x-amz-server-side-encryption: the answer says nothing of encryption")
    }

    @Test func anEmptyTaggingAnswerIsNoTagsAndTagsComeSorted() async throws {
        let (client, _) = ScriptedTransport.client([
            .headBucket, .status(200),
            .status(200, "<Tagging><TagSet><Tag><Key>z</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>"),
        ])
        #expect(try await client.getObjectTagging(bucket: "b", key: "k").isEmpty)
        #expect(try await client.getObjectTagging(bucket: "b", key: "k") == [Tag(key: "a", value: "2"), Tag(key: "z", value: "1")])
    }

    @Test func partSizesFromGetObjectAttributesPageByPage() async throws {
        let (client, transport) = ScriptedTransport.client([
            .headBucket,
            .status(200, """
                <GetObjectAttributesResponse><ObjectParts><TotalPartsCount>3</TotalPartsCount><IsTruncated>true</IsTruncated>\
                <NextPartNumberMarker>2</NextPartNumberMarker><Part><PartNumber>1</PartNumber><Size>6291456</Size></Part>\
                <Part><PartNumber>2</PartNumber><Size>5242880</Size></Part></ObjectParts></GetObjectAttributesResponse>
                """),
            .status(200, """
                <GetObjectAttributesResponse><ObjectParts><IsTruncated>false</IsTruncated>\
                <Part><PartNumber>3</PartNumber><Size>1025</Size></Part></ObjectParts></GetObjectAttributesResponse>
                """),
        ])
        #expect(try await client.partSizes(bucket: "b", key: "k") == [6_291_456, 5_242_880, 1_025])
        #expect(transport.sent[2].headers.contains { $0 == ("x-amz-part-number-marker", "2") })
        #expect(transport.sent[1].headers.contains { $0 == ("x-amz-object-attributes", "ObjectParts") })
    }

    /// RGW 16.2 answers `?attributes` as a GetObject (the range keeps that to a byte); others refuse the call, or
    /// leave the parts out (S3, for objects uploaded without a checksum): each means "cannot tell".
    @Test(arguments: [
        ScriptedTransport.Answer.status(206, "\u{1}", headers: ["content-range": "bytes 0-0/10486994"]),
        .error(501, "NotImplemented"), .error(400, "InvalidArgument"), .error(403, "AccessDenied"),
        .status(200, "<GetObjectAttributesResponse><ObjectParts><TotalPartsCount>3</TotalPartsCount></ObjectParts></GetObjectAttributesResponse>"),
    ])
    func partSizesThatCannotBeReadAreNil(answer: ScriptedTransport.Answer) async throws {
        let (client, transport) = ScriptedTransport.client([.headBucket, answer], maxAttempts: 1)
        #expect(try await client.partSizes(bucket: "b", key: "k") == nil)
        #expect(transport.sent.last?.headers.contains { $0 == ("range", "bytes=0-0") } == true)
    }

    @Test(arguments: [
        // (code, message, storage class asked, encryption asked) → the flag the advice names
        ("InvalidArgument", "", "STANDARD_IA", "AES256", "--storage-class with one it does (STANDARD everywhere); or the provider refused server-side encryption AES256: pass --sse none"),
        ("InvalidRequest", "", nil, "AES256", "the provider refused server-side encryption AES256: pass --sse none"),
        ("InvalidStorageClass", "The storage class you specified is not valid", "GLACIER_IR", "AES256", "does not offer storage class GLACIER_IR: pass --storage-class"),
        ("InvalidArgument", "Server Side Encryption with KMS managed key requires HTTP header x-amz-server-side-encryption-aws-kms-key-id", "STANDARD_IA", "aws:kms", "refused server-side encryption aws:kms"),
    ] as [(String, String, String?, String?, String)])
    func aRefusedSettingNamesItsFlag(code: String, message: String, storageClass: String?, encryption: String?, advice: String) async throws {
        let (client, _) = ScriptedTransport.client([
            .headBucket,
            .status(400, "<Error><Code>\(code)</Code><Message>\(message)</Message></Error>"),
        ], maxAttempts: 1)
        let error = await #expect(throws: S3Error.self) {
            try await client.copyObject(from: ObjectLocation(bucket: "a", key: "k"), to: "b", key: "k", storageClass: storageClass,
                                        encryption: encryption == "aws:kms" ? .kms(keyID: nil) : encryption.map { _ in .s3 })
        }
        #expect(error?.description.contains(advice) == true, "\(String(describing: error))")
    }

    @Test func aRefusalOfSomethingElseGivesNoSettingsAdvice() async throws {
        let (client, _) = ScriptedTransport.client([.headBucket, .error(400, "InvalidArgument")], maxAttempts: 1)
        let error = await #expect(throws: S3Error.self) {
            try await client.uploadPartCopy(bucket: "b", key: "k", uploadID: "u", number: 1,
                                            source: ObjectLocation(bucket: "a", key: "k"), range: 0...9)
        }
        #expect(error?.description.contains("--storage-class") == false)
        #expect(error?.description.contains("--sse") == false)
    }
}
