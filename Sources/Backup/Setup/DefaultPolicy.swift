/// The default lifecycle policy, byte for byte the file ops/lifecycle-policy.json (a test checks): current versions
/// to STANDARD_IA after 30 days, GLACIER after 90, DEEP_ARCHIVE after 365; noncurrent versions expire after 90
/// days; incomplete multipart uploads are aborted after 7 days.
public enum DefaultPolicy {
    /// The policy's JSON.
    public static let json = """
    {
      "Rules": [
        {
          "ID": "s3backup-tiering",
          "Filter": {"Prefix": ""},
          "Status": "Enabled",
          "Transitions": [
            {"Days": 30, "StorageClass": "STANDARD_IA"},
            {"Days": 90, "StorageClass": "GLACIER"},
            {"Days": 365, "StorageClass": "DEEP_ARCHIVE"}
          ],
          "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
          "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}
        }
      ]
    }
    """
}
