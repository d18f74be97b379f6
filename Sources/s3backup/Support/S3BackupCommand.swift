import ArgumentParser

/// A command of s3backup: it does its work in `execute`, and the one `run` all commands share turns whatever ends
/// it into one line on stderr (`s3backup: …`) and the exit status of its category (`ExitStatus.of`), never a stack
/// trace. A command cannot forget the mapping: it has no `run` of its own.
protocol S3BackupCommand: AsyncParsableCommand {
    /// The command's work.
    func execute() async throws
}

extension S3BackupCommand {
    /// Runs `execute`, mapping what ends it to a documented exit status.
    func run() async throws {
        do {
            try await execute()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            StandardError.say("\(error)")
            throw ExitCode(ExitStatus.usage.rawValue)
        } catch {
            StandardError.say("\(error)")
            throw ExitCode(ExitStatus.of(error).rawValue)
        }
    }
}
