import Attacks
import Foundation
import Harness
import Metrics
import XCTest

/// Attacks say which options they take: one they do not use is an error naming what they take, and a
/// suite's values give way to command-line flags by a stated rule, recorded in results.json.
final class AttackOptionTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testUnusedOptionIsAnError() {
        for (attack, options, flag) in [("bim", AttackOptions(restarts: 5), "--restarts"), ("square", AttackOptions(steps: 5), "--steps"),
                                        ("fgsm", AttackOptions(queries: 10), "--queries"), ("noise-uniform", AttackOptions(target: .random), "--target"),
                                        ("pgd", AttackOptions(draws: 3), "--draws")] {
            XCTAssertThrowsError(try AttackRegistry.make(attack, options: options), attack) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains("'\(attack)' does not use \(flag)") || message.contains("cannot be targeted"), message)
            }
        }
        XCTAssertNoThrow(try AttackRegistry.make("pgd", options: AttackOptions(steps: 5, stepSize: 0.01, restarts: 2, randomStart: false, target: .random)))
    }

    /// `--steps` on a suite changes the attacks that take steps, leaves the others, and is recorded;
    /// `--eps` replaces every grid; a flag that no attack of the suite takes is a usage error (exit 2).
    func testSuitePrecedenceIsAppliedAndRecorded() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("robust-options-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let binary = try builtRobustBinary()
        let base = ["eval", "--model", "cnn", "--models-dir", root.appendingPathComponent("models").path,
                    "--suite", root.appendingPathComponent("attacks/quick.yaml").path, "--samples", "20", "--no-extra-checks"]
        let run = try runCommand(binary, base + ["--steps", "3", "--eps", "0,0.05", "--out", out.path])
        XCTAssertEqual(run.code, 0, run.stderr)
        let results = try RunResults.load(path: out.appendingPathComponent("results.json").path)
        let fgsm = try XCTUnwrap(results.attacks.first { $0.id == "fgsm" }), pgd = try XCTUnwrap(results.attacks.first { $0.id == "pgd" })
        XCTAssertEqual(pgd.parameters["steps"], "3", "the flag overrides the suite's steps: 10")
        XCTAssertEqual(pgd.parameters["overridden_by_flags"], "steps,eps")
        XCTAssertEqual(fgsm.parameters["overridden_by_flags"], "eps", "fgsm takes no steps: left alone")
        XCTAssertEqual(pgd.epsilons, [0, 0.05])
        let unused = try runCommand(binary, base + ["--draws", "3", "--out", out.path])
        XCTAssertEqual(unused.code, 2)
        XCTAssertTrue(unused.stderr.contains("--draws is used by none of the attacks"), unused.stderr)
        XCTAssertEqual(unused.stderr.filter { $0 == "\n" }.count, 1)
        let bim = try runCommand(binary, ["eval", "--attack", "bim", "--restarts", "5", "--samples", "5", "--out", out.path])
        XCTAssertEqual(bim.code, 2)
        XCTAssertTrue(bim.stderr.contains("'bim' does not use --restarts; it takes --steps, --step-size, --target"), bim.stderr)
    }
}
