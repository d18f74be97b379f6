import Testing
@testable import Settings

@Suite(.timeLimit(.minutes(1))) struct SettingsResolverTests {
    private let resolver = SettingsResolver(schema: SettingsSchema(
        commands: [
            "run": [
                SettingSpec(name: "source", kind: .option, isRequired: true),
                SettingSpec(name: "db", kind: .option, isRequired: true),
                SettingSpec(name: "workers", kind: .option, defaultValue: "2"),
                SettingSpec(name: "json", kind: .flag),
                SettingSpec(name: "mail-to", kind: .repeatingOption),
                SettingSpec(name: "smtp-url", kind: .option),
            ],
            "restore": [
                SettingSpec(name: "db", kind: .option, isRequired: true),
                SettingSpec(name: "yes", spellings: ["--yes", "-y"], kind: .flag),
            ],
        ],
        sharedTables: ["mail"], commandLineOnly: ["yes"], secrets: ["smtp-password": FileSecret(variable: "S3BACKUP_SMTP_PASSWORD", usedWith: "smtp-url")]))

    private func document(_ text: String) throws -> ConfigDocument { try ConfigDocument(text: text, path: "f.toml") }

    @Test func theCommandLineWinsOverTheEnvironmentWhichWinsOverTheFile() throws {
        let file = try document("""
            db = "/shared.db"
            [run]
            source = "s3://file"
            workers = 3
            json = true
            [mail]
            mail-to = ["a@example.test", "b@example.test"]
            """)
        let settings = try resolver.resolve(command: "run", arguments: ["run", "--source", "s3://typed"],
                                            environment: ["S3BACKUP_WORKERS": "5", "S3BACKUP_JSON": "false"], file: file)
        #expect(settings.arguments == ["run", "--source", "s3://typed", "--db", "/shared.db", "--workers", "5",
                                       "--mail-to", "a@example.test", "--mail-to", "b@example.test"])
        let origins = Dictionary(uniqueKeysWithValues: settings.values.map { ($0.spec.name, $0.origin) })
        #expect(origins["source"] == .commandLine)
        #expect(origins["db"] == .file(path: "f.toml", line: 1))
        #expect(origins["workers"] == .environment("S3BACKUP_WORKERS"))
        #expect(origins["json"] == .environment("S3BACKUP_JSON"))
        #expect(origins["mail-to"] == .file(path: "f.toml", line: 7))
        #expect(origins["smtp-url"] == .defaultValue)
        #expect(settings.missing.isEmpty)
    }

    @Test func theCommandsOwnTableWinsOverSharedOnes() throws {
        let file = try document("db = \"/root.db\"\n[run]\ndb = \"/run.db\"\nsource = \"s3://x\"\n[restore]\n")
        #expect(try resolver.resolve(command: "run", arguments: ["run"], environment: [:], file: file).arguments
                    == ["run", "--source", "s3://x", "--db", "/run.db"])
        #expect(try resolver.resolve(command: "restore", arguments: ["restore"], environment: [:], file: file).arguments
                    == ["restore", "--db", "/root.db"])
    }

    @Test func flagsWrittenWithEqualsOrBeforeATerminatorCount() throws {
        let file = try document("[run]\ndb = \"/f.db\"\nsource = \"s3://x\"")
        let settings = try resolver.resolve(command: "run", arguments: ["run", "--db=/typed.db", "--", "positional"],
                                            environment: [:], file: file)
        #expect(settings.arguments == ["run", "--db=/typed.db", "--source", "s3://x", "--", "positional"])
    }

    @Test func problemsNameTheLineAndWhatToWrite() throws {
        let file = try document("""
            wokers = 2
            [run]
            workers = true
            json = "yes"
            source = ["a", "b"]
            mail-to = [true]
            sorce = "s3://x"
            [restore]
            yes = true
            [nightly]
            smtp-password = 7
            """)
        let problems = resolver.problems(in: file).map(\.description)
        #expect(problems == [
            "f.toml line 1: unknown setting `wokers` for any command; did you mean `workers`?",
            "f.toml line 3: `workers` takes a value, not true or false, e.g. workers = 2",
            "f.toml line 4: `json` is a switch: write json = true or json = false",
            "f.toml line 5: `source` takes one value, e.g. source = \"…\"",
            "f.toml line 6: `mail-to` takes text or an array of text, e.g. mail-to = [\"a\", \"b\"]",
            "f.toml line 7: unknown setting `sorce` for [run]; did you mean `source`?",
            "f.toml line 9: `yes` must be given on the command line, where it is seen",
            "f.toml line 10: unknown table [nightly]; tables are [restore], [run], [mail]",
        ])
        #expect(throws: ConfigError(problems[0])) {
            try resolver.resolve(command: "run", arguments: ["run"], environment: [:], file: file)
        }
    }

    @Test func confirmationsComeOnlyFromTheCommandLine() throws {
        let settings = try resolver.resolve(command: "restore", arguments: ["restore", "--db", "/q.db"],
                                            environment: ["S3BACKUP_YES": "1"], file: nil)
        #expect(settings.arguments == ["restore", "--db", "/q.db"])
        #expect(try resolver.resolve(command: "restore", arguments: ["restore", "-y", "--db", "/q.db"],
                                     environment: [:], file: nil).values.first { $0.spec.name == "yes" }?.origin == .commandLine)
    }

    @Test func badEnvironmentSwitchesAreRefused() {
        #expect(throws: ConfigError("S3BACKUP_JSON=maybe: a switch is true or false (or 1 or 0)")) {
            try resolver.resolve(command: "run", arguments: ["run"], environment: ["S3BACKUP_JSON": "maybe"], file: nil)
        }
    }

    @Test func repeatedOptionsFromTheEnvironmentSplitOnCommas() throws {
        let settings = try resolver.resolve(command: "run", arguments: ["run"],
                                            environment: ["S3BACKUP_MAIL_TO": "a@example.test, b@example.test"], file: nil)
        #expect(settings.arguments == ["run", "--mail-to", "a@example.test", "--mail-to", "b@example.test"])
    }

    @Test func missingRequiredSettingsSayWhereToSetThem() throws {
        let file = try document("[run]\ndb = \"/q.db\"")
        let settings = try resolver.resolve(command: "run", arguments: ["run"], environment: [:], file: file)
        #expect(settings.missing.map(\.name) == ["source"])
        #expect(resolver.missingMessage(settings.missing[0], command: "run", file: file)
                    == "run needs --source: pass it, set S3BACKUP_SOURCE, or write `source = \"…\"` under [run] in f.toml")
    }

    @Test func aFileSecretIsExportedUnlessTheEnvironmentHasItAndWarnsWhenEveryoneCanRead() throws {
        let file = try document("[mail]\nsmtp-password = \"hunter2\"\n[run]\nsource = \"s3://x\"\ndb = \"/q.db\"")
        let exported = try resolver.resolve(command: "run", arguments: ["run"], environment: [:], file: file,
                                            fileIsWorldReadable: true)
        #expect(exported.exports == ["S3BACKUP_SMTP_PASSWORD": "hunter2"])
        #expect(exported.warnings == ["f.toml holds `smtp-password` (line 2) and every user can read it: chmod o-r f.toml"])
        #expect(!exported.arguments.joined().contains("hunter2"))
        let fromEnvironment = try resolver.resolve(command: "run", arguments: ["run"],
                                                   environment: ["S3BACKUP_SMTP_PASSWORD": "other"], file: file)
        #expect(fromEnvironment.exports.isEmpty && fromEnvironment.warnings.isEmpty)
    }

    @Test func parseErrorsAboutASettingPointAtItsOrigin() throws {
        let file = try document("[run]\nworkers = \"many\"\nsource = \"s3://x\"\ndb = \"/q.db\"")
        let settings = try resolver.resolve(command: "run", arguments: ["run"], environment: [:], file: file)
        #expect(settings.origin(ofSettingIn: "The value 'many' is invalid for '--workers <workers>'")
                    == .file(path: "f.toml", line: 2))
        #expect(settings.origin(ofSettingIn: "The value 'x' is invalid for '--workers-extra'") == nil)
    }

    @Test func secretsAreMasked() {
        #expect(SecretMask.shown("smtp-password", .string("hunter2")) == .string("********"))
        #expect(SecretMask.shown("smtp-password-file", .string("/etc/p")) == .string("/etc/p"))
        #expect(SecretMask.shown("smtp-url", .string("smtps://me:hunter2@mail.example.test:465"))
                    == .string("smtps://me:********@mail.example.test:465"))
        #expect(SecretMask.shown("smtp-url", .string("smtps://mail.example.test/a:b@c")) == .string("smtps://mail.example.test/a:b@c"))
        #expect(SecretMask.shown("smtp-url", .string("smtps://me:p@ss@w0rd@mail.example.test:465"))
                    == .string("smtps://me:\(SecretMask.mask)@mail.example.test:465"), "a password holding @ is masked whole")
    }
}
