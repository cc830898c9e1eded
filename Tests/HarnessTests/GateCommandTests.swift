import Foundation
import Harness
import XCTest

/// `robust gate` as CI runs it: the built binary's exit codes 0, 1, 2 and 3 end to end.
final class GateCommandTests: XCTestCase {
    func robustBinary() throws -> URL { try builtRobustBinary() }

    func robust(_ binary: URL, _ arguments: [String]) throws -> CommandResult {
        try runCommand(binary, ["gate"] + arguments)
    }

    func testExitCodesEndToEnd() throws {
        let binary = try robustBinary()
        let folder = try GateFixture.folder()
        let run = try GateFixture.writeRun(GateFixture.results(), in: folder)
        let junit = (folder as NSString).appendingPathComponent("junit.xml")

        let pass = try robust(binary, [run, "--require", "clean>=0.90", "--require", "worst@8/255>=0.40"])
        XCTAssertEqual(pass.code, 0, pass.stderr)
        XCTAssertTrue(pass.stdout.hasSuffix("gate passed: 4 test cases\n"), pass.stdout)

        let fail = try robust(binary, [run, "--require", "pgd@0.1>=0.75", "--junit", junit])
        XCTAssertEqual(fail.code, 1, fail.stderr)
        XCTAssertEqual(fail.stderr, "robust: gate FAILED: 1 of 3 test cases failed (pgd@0.1>=0.75)\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: junit), "JUnit written before failing")

        let usage = try robust(binary, [run, "--require", "pgd@0.1"])
        XCTAssertEqual(usage.code, 2, usage.stderr)
        XCTAssertTrue(usage.stderr.hasPrefix("robust: requirement 'pgd@0.1' has no comparison"), usage.stderr)
        XCTAssertEqual(try robust(binary, [run, "--wilson-typo"]).code, 2)

        let missing = try robust(binary, [(folder as NSString).appendingPathComponent("nope"), "--require", "clean>=0.9"])
        XCTAssertEqual(missing.code, 3, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("robust eval"), missing.stderr)
    }
}

/// What a finished process printed and how it exited.
struct CommandResult {
    let code: Int32
    let stdout: String
    let stderr: String
    /// Ended by a signal (a trap, or the timeout), not by exit: `code` is then the signal number.
    var signaled = false
}

/// Runs `binary` with `arguments` (in `directory` when given) with a bare environment (PATH and sanitizer
/// options only), so nothing of the test runner's (GITHUB_ACTIONS, SLURM_*) leaks in. A run still going after
/// `timeout` seconds is terminated (exit code 15), so a hang fails its test instead of stalling CI. Its
/// standard input is `input` (empty by default: never the test runner's, which a child could wait on).
func runCommand(_ binary: URL, _ arguments: [String], in directory: URL? = nil, timeout: Double = 120,
                input: String = "") throws -> CommandResult {
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    // PATH, and the sanitizers' settings under `make sanitize` (ROBUST_CHILD_ASAN_OPTIONS: the CLI's own, with
    // leak checking, which the XCTest runner's leaks rule out for the test process itself).
    let environment = ProcessInfo.processInfo.environment
    var passed = environment.filter { ["ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"].contains($0.key) }
    if let child = environment["ROBUST_CHILD_ASAN_OPTIONS"] { passed["ASAN_OPTIONS"] = child }
    process.environment = passed.merging(["PATH": "/usr/bin:/bin"]) { $1 }
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe()
    let stdin = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = stdin
    try process.run()
    // A child that exits before reading closes the pipe: ignore SIGPIPE, and the write's error with it.
    signal(SIGPIPE, SIG_IGN)
    try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
    try? stdin.fileHandleForWriting.close()
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { if process.isRunning { process.terminate() } }
    let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return CommandResult(code: process.terminationStatus, stdout: stdout, stderr: stderr,
                         signaled: process.terminationReason == .uncaughtSignal)
}

/// The release `robust` binary beside the test bundle, or in the package's `.build/release`; skips the test without one.
func builtRobustBinary() throws -> URL {
    let candidates = [
        Bundle.main.bundleURL.appendingPathComponent("robust"),
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("robust"),
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/release/robust"),
    ]
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw XCTSkip("no built robust binary (swift build -c release); looked at \(candidates.map(\.path))")
    }
    return found
}
