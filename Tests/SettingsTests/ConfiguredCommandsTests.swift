import Testing
@testable import Settings

/// Which commands a file sets up, the ones `config check` judges.
@Suite(.timeLimit(.minutes(1))) struct ConfiguredCommandsTests {
    private let resolver = SettingsResolver(schema: SettingsSchema(
        commands: [
            "run": [
                SettingSpec(name: "source", kind: .option, isRequired: true),
                SettingSpec(name: "backup", kind: .option, isRequired: true),
                SettingSpec(name: "db", kind: .option, isRequired: true),
                SettingSpec(name: "smtp-url", kind: .option),
            ],
            "restore": [
                SettingSpec(name: "from", kind: .option, isRequired: true),
                SettingSpec(name: "to", kind: .option, isRequired: true),
                SettingSpec(name: "db", kind: .option, isRequired: true),
            ],
            "status": [
                SettingSpec(name: "db", kind: .option, isRequired: true),
                SettingSpec(name: "limit", kind: .option, defaultValue: "10"),
            ],
            "ls": [SettingSpec(name: "endpoint-url", kind: .option)],
        ],
        sharedTables: ["mail"], commandLineArguments: ["ls": ["location"]]))

    private func configured(_ text: String, environment: [String: String] = [:]) throws -> [String] {
        try resolver.configuredCommands(in: try ConfigDocument(text: text, path: "f.toml"), environment: environment)
    }

    @Test func settingsAtTheTopSetUpTheCommandsTheyComplete() throws {
        // db is one of restore's settings, but restore still lacks from and to: the file does not set it up.
        #expect(try configured("source = \"s3://a\"\nbackup = \"s3://b\"\ndb = \"/q.db\"") == ["run", "status"])
        #expect(try configured("db = \"/q.db\"") == ["status"])
        #expect(try configured("[mail]\nsmtp-url = \"smtps://mail.example.test\"").isEmpty, "run still lacks its buckets")
    }

    @Test func aCommandsOwnTableSetsItUpWhateverItLacks() throws {
        #expect(try configured("[restore]\n") == ["restore"])
        #expect(try configured("[ls]\nendpoint-url = \"http://127.0.0.1:9000\"") == ["ls"])
    }

    @Test func argumentsOnlyTheCommandLineGivesKeepACommandUnconfiguredWithoutItsTable() throws {
        #expect(try configured("endpoint-url = \"http://127.0.0.1:9000\"").isEmpty, "ls needs its location")
    }

    @Test func theEnvironmentCompletesWhatTheFileStarts() throws {
        #expect(try configured("[mail]\nsmtp-url = \"smtps://mail.example.test\"", environment: ["S3BACKUP_DB": "/q.db"])
                    == ["status"])
        #expect(try configured("from = \"s3://b\"\nto = \"s3://a\"", environment: ["S3BACKUP_DB": "/q.db"])
                    == ["restore", "status"])
    }

    @Test func aFileWithProblemsIsRefused() {
        #expect(throws: ConfigError.self) { try configured("[stauts]\n") }
    }
}
