import Testing
@testable import S3

@Suite(.timeLimit(.minutes(1))) struct SharedConfigTests {
    static let config = """
        # a comment
        ; another comment
        [default]
        region = eu-west-1   ; inline comment
        retry_mode = standard # inline comment
        s3 =
          addressing_style = path
          max_concurrent_requests = 4
        Max_Attempts = 5

        [profile backup]
        role_arn = arn:aws:iam::123456789012:role/backup
        source_profile = default
        services = local-moto
        region=us-west-2

        [profile "quoted name"]
        region = ap-south-1

        [profile both]
        region = from-config
        output = json

        [stray]
        region = nowhere

        [services local-moto]
        s3 =
          endpoint_url = http://127.0.0.1:5055
        sts =
          endpoint_url = http://127.0.0.1:5056 ; the STS port
        """

    static let credentials = """
        [default]
        aws_access_key_id = AKIADEFAULT
        aws_secret_access_key = secret/with+base64=

        [both]
        region = from-credentials
        aws_access_key_id = AKIABOTH

        [profile looks-qualified]
        aws_access_key_id = AKIAODD
        """

    let shared = SharedConfig(credentialsText: Self.credentials, configText: Self.config)

    @Test(arguments: [
        ("default", "region", "eu-west-1"),
        ("default", "retry_mode", "standard"),
        ("default", "max_attempts", "5"),
        ("default", "aws_access_key_id", "AKIADEFAULT"),
        ("default", "aws_secret_access_key", "secret/with+base64="),
        ("backup", "role_arn", "arn:aws:iam::123456789012:role/backup"),
        ("backup", "region", "us-west-2"),
        ("quoted name", "region", "ap-south-1"),
        ("both", "region", "from-credentials"),
        ("both", "output", "json"),
        ("both", "aws_access_key_id", "AKIABOTH"),
        ("profile looks-qualified", "aws_access_key_id", "AKIAODD"),
    ])
    func settingOfProfile(profile: String, key: String, expected: String) throws {
        let settings = try #require(shared.profile(profile))
        #expect(settings[key] == expected)
    }

    @Test(arguments: ["stray", "looks-qualified", "nonexistent", "profile backup", "services local-moto"])
    func sectionsThatAreNotProfiles(name: String) {
        #expect(shared.profile(name) == nil)
    }

    @Test func subSectionsAreSeparateFromFlatSettings() throws {
        #expect(shared.subsection(profile: "default", section: "s3") == ["addressing_style": "path",
                                                                          "max_concurrent_requests": "4"])
        #expect(try #require(shared.profile("default"))["s3"] == nil)
        #expect(shared.subsection(profile: "default", section: "sts") == [:])
        #expect(shared.subsection(profile: "nonexistent", section: "s3") == [:])
    }

    @Test(arguments: [
        ("backup", "s3", ["endpoint_url": "http://127.0.0.1:5055"]),
        ("backup", "STS", ["endpoint_url": "http://127.0.0.1:5056"]),
        ("backup", "sqs", [:]),
        ("default", "s3", [:]),
    ])
    func servicesSection(profile: String, service: String, expected: [String: String]) {
        #expect(shared.serviceSettings(profile: profile, service: service) == expected)
    }

    @Test func credentialsFileWinsInSubSectionsToo() {
        let shared = SharedConfig(credentialsText: "[p]\ns3 =\n  addressing_style = virtual\n",
                                  configText: "[profile p]\ns3 =\n  addressing_style = path\n  use_accelerate_endpoint = false\n")
        #expect(shared.subsection(profile: "p", section: "s3") == ["addressing_style": "virtual",
                                                                    "use_accelerate_endpoint": "false"])
    }

    @Test func repeatedSectionsMergeAndLaterValuesWin() throws {
        let shared = SharedConfig(credentialsText: "", configText: """
            [default]
            region = a
            output = text
            [profile default]
            region = b
            """)
        #expect(try #require(shared.profile("default")) == ["region": "b", "output": "text"])
    }

    @Test func continuationLinesAndWindowsLineEnds() throws {
        let shared = SharedConfig(credentialsText: "[x]\r\naws_access_key_id = AKIAX\r\n",
                                  configText: "[profile x]\nnote = first\n  second\nregion = r\n")
        let settings = try #require(shared.profile("x"))
        #expect(settings["note"] == "first\nsecond")
        #expect(settings["aws_access_key_id"] == "AKIAX")
        #expect(settings["region"] == "r")
    }

    @Test func emptyTextHasNoProfiles() {
        let shared = SharedConfig(credentialsText: "", configText: "")
        #expect(shared.profile("default") == nil)
    }

    @Test(arguments: [
        ("region = eu-west-1\n[default]\n", 1),
        ("[default]\nregion = eu-west-1\nthis is not a setting\n", 3),
        ("# comment\n[default\nregion = x\n", 2),
        ("[default]\n= value\n", 2),
        ("[]\n", 1),
        ("[default] trailing\n", 1),
        ("[default]\ns3 =\n  addressing_style\n", 3),
    ])
    func malformedLineNamesFileAndLine(text: String, line: Int) {
        let error = #expect(throws: S3Error.self) {
            try SharedConfig(credentialsText: "", configText: text, credentialsPath: "/home/u/.aws/credentials",
                             configPath: "/home/u/.aws/config")
        }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("/home/u/.aws/config line \(line):") == true)
    }

    @Test func malformedCredentialsFileIsNamed() {
        let error = #expect(throws: S3Error.self) {
            try SharedConfig(credentialsText: "[default]\naws_secret_access_key\n", configText: "",
                             credentialsPath: "/c/credentials", configPath: "/c/config")
        }
        #expect(error?.message.contains("/c/credentials line 2") == true)
    }

    @Test(arguments: [
        ("cli", ["AWS_PROFILE": "env", "AWS_DEFAULT_PROFILE": "legacy"], "cli"),
        (nil, ["AWS_PROFILE": "env", "AWS_DEFAULT_PROFILE": "legacy"], "env"),
        (nil, ["AWS_DEFAULT_PROFILE": "legacy"], "legacy"),
        (nil, ["AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "legacy"], "legacy"),
        ("", [:], "default"),
        (nil, [:], "default"),
    ] as [(String?, [String: String], String)])
    func profileName(explicit: String?, environment: [String: String], expected: String) {
        #expect(resolveProfileName(explicit, environment: environment) == expected)
    }
}
