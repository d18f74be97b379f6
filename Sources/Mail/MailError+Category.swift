import Failures

extension MailError: CategorizedError {
    /// Mail settings that cannot work (an address, a URL, a password file) are configuration.
    public var category: FailureCategory { .configuration }
}
