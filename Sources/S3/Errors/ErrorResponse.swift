/// Turns S3's error answers into `S3Error`s.
/// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
enum ErrorResponse {
    /// The error in `response`, or nil when it is a real success. A 2xx is an error only for calls whose errors
    /// can arrive with 200 (the body's root is `Error`, or the body is cut short or empty).
    static func parse(_ response: HTTPResponse, document: XMLTree?, request: S3Request,
                      endpoint: @autoclosure () -> String) -> S3Error? {
        var error: S3Error
        if response.isSuccess {
            if let tree = document {
                guard tree.name == "Error" else { return nil }
                error = fromDocument(tree, status: response.status)
            } else {
                error = S3Error(.service(status: response.status, code: "InternalError"),
                                "the 200 response's body was empty or cut short")
            }
            error.arrivedWithSuccessStatus = true
        } else if let document = document?.find("Error") {
            error = fromDocument(document, status: response.status)
        } else {
            let (code, message) = codeForStatus(response.status, hasKey: request.key != nil)
            error = S3Error(.service(status: response.status, code: code), message)
        }
        error.operation = request.operation
        error.bucket = request.bucket
        error.key = request.key
        error.endpoint = endpoint()
        error.requestID = response.headers["x-amz-request-id"] ?? response.headers["x-amzn-requestid"] ?? error.requestID
        error.bucketRegion = response.headers["x-amz-bucket-region"].flatMap { $0.isEmpty ? nil : $0 } ?? error.bucketRegion
        if let region = error.bucketRegion, !RegionName.isValid(region) {
            // Followed, it would go into a host name; as advice, onto the user's command line.
            error.bucketRegion = nil
            error.message += " (the answer named the bucket's region \(UntrustedText.quoted(region)), which is not a "
                + "region name and was ignored: check the endpoint and reach it over https)"
        }
        if response.status == 400 {
            func header(_ name: String) -> String? { request.headers.first { $0.0 == name }?.1 }
            error.requested = (header("x-amz-storage-class"), header("x-amz-server-side-encryption"))
        }
        if let milliseconds = response.headers["x-amz-retry-after"].flatMap(Double.init) {
            error.retryAfterSeconds = milliseconds / 1000
        } else if let seconds = response.headers["retry-after"].flatMap(Double.init) {
            error.retryAfterSeconds = seconds
        }
        return error
    }

    private static func fromDocument(_ tree: XMLTree, status: Int) -> S3Error {
        let code = tree.text("Code") ?? "HTTP\(status)"
        var error = S3Error(.service(status: status, code: code), tree.text("Message") ?? "S3 answered \(status) \(code)")
        error.bucketRegion = tree.text("Region").flatMap { $0.isEmpty ? nil : $0 }
        error.requestID = tree.text("RequestId")
        return error
    }

    /// HEAD responses and non-XML error pages carry no code: name the likely one from the status.
    private static func codeForStatus(_ status: Int, hasKey: Bool) -> (String, String) {
        switch status {
        case 301: ("PermanentRedirect", "the bucket is in another region")
        case 400: ("BadRequest", "S3 refused the request as malformed (400)")
        case 403: ("AccessDenied", "access denied (403)")
        case 404: hasKey ? ("NoSuchKey", "the object does not exist") : ("NoSuchBucket", "the bucket does not exist")
        case 405: ("MethodNotAllowed", "not allowed on this object (a delete marker?)")
        case 412: ("PreconditionFailed", "a precondition failed (412)")
        case 500: ("InternalError", "S3 had an internal error (500)")
        case 503: ("SlowDown", "S3 asked to slow down (503)")
        default: ("HTTP\(status)", "S3 answered HTTP \(status)")
        }
    }
}
