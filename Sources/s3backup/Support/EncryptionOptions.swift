import ArgumentParser
import Backup

/// How the copies a run writes are encrypted at rest: `run`/`plan` (the backup) and `restore` (the primary).
struct EncryptionOptions: ParsableArguments {
    @Option(help: "Server-side encryption of the copies: AES256 (SSE-S3), aws:kms, or none (the bucket's default; for providers without server-side encryption, such as Ceph's RGW without a key service).")
    var sse = "AES256"
    @Option(name: .customLong("sse-kms-key-id"), help: "The KMS key for --sse aws:kms (default: the account's S3 key).")
    var kmsKeyID: String?

    func validate() throws {
        guard ["AES256", "aws:kms", "none"].contains(sse) else { throw ValidationError("--sse must be AES256, aws:kms or none") }
    }

    /// Sets the parameters' encryption.
    func apply(to parameters: inout RunParameters) {
        parameters.encryption = sse
        parameters.kmsKeyID = kmsKeyID
    }
}
