/// The environment of the `s3backup work` processes a run starts: only what a worker reads, so secrets it never
/// uses (the SMTP password `run` mails its report with, anything else the caller's environment holds) stay out of
/// its memory and its /proc/PID/environ.
///
/// A worker reads the S3 client's AWS settings and credentials (Sources/S3/Config, Sources/S3/Credentials), the
/// S3BACKUP_* variables of that client and the config file's location; the system and libcurl read the rest
/// (paths, locale, time zone, proxies, CA bundles). The worker's own settings come from the launcher: `--run`,
/// `--concurrency`, … on its command line, which wins over their S3BACKUP_* variables (so those stay behind too), and
/// the queue's location in S3BACKUP_DB (`WorkerLauncher.environment`), set over whatever the caller's says.
enum WorkerEnvironment {
    /// Variables passed by exact name.
    static let names: Set<String> = [
        // The system, the dynamic loader (a binary started with LD_LIBRARY_PATH needs it to start again), locale.
        "PATH", "HOME", "TMPDIR", "TZ", "LANG", "LANGUAGE", "LD_LIBRARY_PATH",
        // libcurl's proxies (it reads the lower-case names, and the upper-case ones but HTTP_PROXY) and OpenSSL's
        // trust store and configuration.
        "http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "OPENSSL_CONF",
        // Credentials: https://docs.aws.amazon.com/sdkref/latest/guide/environment-variables.html
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_V1_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_METADATA_SERVICE_TIMEOUT", "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
        // Where and how requests go.
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_MAX_ATTEMPTS", "AWS_CA_BUNDLE",
        // s3backup's own: the S3 client's time limits, when archived objects are checked, and the config file every
        // process of a run reads.
        "S3BACKUP_STALL_SECONDS", "S3BACKUP_REQUEST_TIME_LIMIT_SECONDS", "S3BACKUP_RETRIEVAL_CHECK_SECONDS", "S3BACKUP_CONFIG",
        // A sanitizer or backtrace run's settings, so workers report where the run does.
        "TSAN_OPTIONS", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "SWIFT_BACKTRACE",
    ]

    /// Families passed by prefix: the locale's categories and the per-service endpoints (AWS_ENDPOINT_URL_S3, _STS).
    static let prefixes = ["LC_", "AWS_ENDPOINT_URL_"]

    /// Whether a worker is given the variable `name`.
    static func admits(_ name: String) -> Bool {
        names.contains(name) || prefixes.contains { name.hasPrefix($0) }
    }

    /// `environment` cut down to what a worker is given.
    static func of(_ environment: [String: String]) -> [String: String] {
        environment.filter { admits($0.key) }
    }
}
