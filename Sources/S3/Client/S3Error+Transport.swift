extension S3Error {
    /// The error for an S3 exchange that ended without a usable answer: below HTTP (`.transport`), a body source or
    /// sink that failed (`.local`), a header refused before sending, or one of the transport's guard rails. `limit`
    /// is the request time limit the client set, named in the advice when it tripped.
    init(_ failure: TransportError, limit: RequestTimeLimit?) {
        switch failure.underlying {
        case nil:
            self.init(.transport(curlCode: failure.code), failure.message)
        case let refusal as S3Error:
            self = refusal
        case let exceeded as TransferLimitExceeded:
            switch exceeded {
            case .body:
                self.init(.invalidResponse, "\(exceeded): the endpoint is broken, or something between us and it (a "
                    + "proxy, or anyone on a plain-http path) rewrote the answer; check the endpoint and reach it over https")
            case .time:
                // Not retried (CURLE_ABORTED_BY_CALLBACK is fatal): the request already had its whole, generous
                // limit, and another attempt on the same path would likely hold a worker as long again.
                let base = limit.map { " (now \($0.baseSeconds))" } ?? ""
                self.init(.transport(curlCode: failure.code), "\(exceeded): the endpoint or the network is too slow, "
                    + "or something on the way trickles the answer; S3BACKUP_REQUEST_TIME_LIMIT_SECONDS\(base) raises "
                    + "the limit's base")
            }
        case let underlying?:
            self.init(.local, "\(underlying)")
        }
    }
}
