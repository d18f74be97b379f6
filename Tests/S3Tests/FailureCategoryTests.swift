import Failures
import S3
import Testing

/// Each S3 failure says what kind it is, so the command line gives it the documented exit status.
@Suite("S3 failures by category", .timeLimit(.minutes(1)))
struct FailureCategoryTests {
    @Test(arguments: [
        (S3Error.Kind.service(status: 403, code: "AccessDenied"), FailureCategory.credentials),
        (.service(status: 403, code: "SignatureDoesNotMatch"), .credentials),
        (.service(status: 400, code: "ExpiredToken"), .credentials),
        (.service(status: 403, code: "SomethingElse"), .credentials),
        // Archived objects are refused with a 403 that says nothing about the credentials.
        (.service(status: 403, code: "InvalidObjectState"), .failed),
        (.service(status: 403, code: "ObjectNotInActiveTierError"), .failed),
        (.service(status: 404, code: "NoSuchBucket"), .configuration),
        (.service(status: 404, code: "NoSuchKey"), .failed),
        (.transport(curlCode: 7), .unreachable),
        (.configuration, .configuration),
        (.invalidResponse, .failed),
    ])
    func categories(kind: S3Error.Kind, expected: FailureCategory) {
        #expect(S3Error(kind, "m").category == expected)
    }

    @Test func archivedRefusalsAreNamedAsSuch() {
        #expect(S3Error(.service(status: 403, code: "InvalidObjectState"), "m").isArchived)
        #expect(!S3Error(.service(status: 403, code: "AccessDenied"), "m").isArchived)
        #expect(!S3Error(.transport(curlCode: 7), "m").isArchived)
    }
}
