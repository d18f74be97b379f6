/// S3Client is the product's object store: every requirement is one of its S3 calls, unchanged.
extension S3Client: ObjectStore {
    /// The endpoint this client's requests go to.
    public var endpoint: Endpoint { configuration.endpoint }
}
