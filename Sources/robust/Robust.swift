import ArgumentParser
import Foundation
import Harness

/// The `robust` command: adversarial-robustness evaluation for image classifiers.
@main
struct Robust: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "robust",
        abstract: "Measure, report and gate how well an image classifier holds up under adversarial attack.",
        discussion: """
        Exit codes: 0 success, 1 a gate failed, 2 a usage error (bad flag, unknown name), \
        3 bad input data (missing or corrupt file, shape mismatch).
        """,
        version: toolVersion,
        subcommands: [EvalCommand.self, CertifyCommand.self, GateCommand.self, ReportCommand.self, AttacksCommand.self, TrainCommand.self, PrivacyCommand.self, ModelsCommand.self, ExportCommand.self, MergeCommand.self, Bench.self]
    )

    /// Parses and runs a subcommand, mapping every error to one stderr line and the project's
    /// exit codes (ArgumentParser alone would use 64 for usage errors and print a stack of help).
    static func main() {
        keepFreedMemory()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = robustExitCode(for: error)
            if code == 0 {
                exit(withError: error) // --help, --version: ArgumentParser prints them
            }
            let message = error is ToolError ? "\(error)" : message(for: error) + " (see --help)"
            FileHandle.standardError.write(Data(("robust: " + singleLine(message) + "\n").utf8))
            Foundation.exit(code)
        }
    }

    /// 2 for anything ArgumentParser rejects, the error's own code for ours.
    static func robustExitCode(for error: Error) -> Int32 {
        if let tool = error as? ToolError { return tool.exitCode }
        return exitCode(for: error).rawValue == 0 ? 0 : 2
    }
}

/// Tells glibc's malloc to keep freed memory instead of returning it to the kernel: layers allocate
/// tensors of tens of MiB per call, and with the default thresholds each one is a fresh mmap whose
/// every page faults and is zeroed by the kernel (measured: 869k page faults in a 7-batch PGD bench).
private func keepFreedMemory() {
    #if os(Linux)
    let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3 // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD in <malloc.h>
    _ = glibcMallopt(mmapThreshold, 1 << 30)
    _ = glibcMallopt(trimThreshold, 1 << 30)
    #endif
}

#if os(Linux)
/// glibc's `mallopt`; <malloc.h> is not part of the Glibc module.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
