import Foundation
import Harness
import Metrics
import XCTest

/// `runGate` end to end in the library: verdicts and the exit codes of the errors it throws.
final class GateRunTests: XCTestCase {
    func testPassingRequirementsPass() throws {
        let run = try GateFixture.gate(GateFixture.results(), options: GateOptions(requirements: ["clean>=0.90", "pgd@0.1>=0.70", "worst@8/255>=40%"]))
        XCTAssertNil(run.error)
        let verdict = try XCTUnwrap(run.verdict)
        XCTAssertTrue(verdict.passed)
        // Three requirements and the run's two validity checks (the warning passes under the default --fail-on fail).
        XCTAssertEqual(verdict.cases.map(\.displayName), ["clean>=0.90", "pgd@0.1>=0.70", "worst@8/255>=40%", "check bounds", "check zero-gradients"])
        XCTAssertEqual(verdict.cases.last?.warning, true)
        XCTAssertEqual(run.output.first, "PASS  clean>=0.90           measured 0.9200       required >= 0.9000")
        XCTAssertTrue(run.output.contains("WARN  check zero-gradients  measured status warn  required status pass or warn"), "\(run.output)")
        XCTAssertEqual(run.output.last, "gate passed: 5 test cases")
    }

    func testAFailedRequirementFailsTheGateWithExitCode1() throws {
        let run = try GateFixture.gate(GateFixture.results(), options: GateOptions(requirements: ["clean>=0.90", "pgd@0.1>=0.75", "fgsm@0.1>=0.5"]))
        let error = try XCTUnwrap(run.error)
        XCTAssertEqual(error.exitCode, 1)
        XCTAssertEqual(error.description, "gate FAILED: 2 of 5 test cases failed (pgd@0.1>=0.75, fgsm@0.1>=0.5)")
        XCTAssertTrue(run.output.contains("FAIL  pgd@0.1>=0.75         measured 0.7000       required >= 0.7500"), "\(run.output)")
        XCTAssertTrue(run.output.contains { $0.contains("the run has no attack 'fgsm'") }, "\(run.output)")
    }

    func testARegressionAgainstTheBaselineFails() throws {
        let baseline = GateFixture.results(sha256: String(repeating: "b", count: 64), cleanCorrect: 930,
                                           curve: [GateFixture.point("pgd", eps: 0.1, robust: 730), GateFixture.point("pgd", eps: 8.0 / 255, robust: 470),
                                                   GateFixture.point("pgd", eps: 0.3, robust: 100)])
        let run = try GateFixture.gate(GateFixture.results(), baseline: baseline, options: GateOptions(maxDrop: "0.02", failOn: "never"))
        XCTAssertEqual(run.error?.exitCode, 1)
        let lines = run.output
        // clean 0.920 vs 0.930 - 0.02 passes; pgd@0.1 0.700 < 0.710 fails; pgd@8/255 0.450 vs 0.450 passes (inclusive).
        XCTAssertTrue(lines.contains { $0.hasPrefix("PASS  baseline clean ") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("FAIL  baseline pgd:linf@0.1 ") && $0.hasSuffix("required >= 0.7100 (baseline 0.7300 - 0.0200)") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("PASS  baseline pgd:linf@8/255 ") }, "\(lines)")
        XCTAssertTrue(lines.contains("      dropped from the baseline's 0.7300 to 0.7000, more than the allowed 0.0200"), "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("note: the baseline") && $0.contains("another model") }, "\(lines)")
        XCTAssertTrue(lines.contains("warning: 1 baseline point(s) are not in this run and were not compared: pgd:linf@0.3"), "\(lines)")
        XCTAssertTrue(lines.contains("note: 2 point(s) of this run are not in the baseline: worst:linf@8/255, worst:linf@0.1"), "\(lines)")
        XCTAssertFalse(lines.contains { $0.contains("other data") }, "same samples: no data warning")
    }

    func testWilsonFailsOnlyOnSignificantDrops() throws {
        // n = 100: 0.62 has a Wilson interval up to 0.709; 0.50 up to 0.596.
        let baseline = GateFixture.results(curve: [GateFixture.point("pgd", eps: 0.1, robust: 70, n: 100)])
        let noisy = GateFixture.results(curve: [GateFixture.point("pgd", eps: 0.1, robust: 62, n: 100)])
        let plain = try GateFixture.gate(noisy, baseline: baseline, options: GateOptions(failOn: "never"))
        XCTAssertEqual(plain.error?.exitCode, 1, "0.62 < 0.70 - 0.02 without --wilson")
        let wilson = try GateFixture.gate(noisy, baseline: baseline, options: GateOptions(wilson: true, failOn: "never"))
        XCTAssertNil(wilson.error, "0.62's interval reaches 0.68")
        let point = try XCTUnwrap(wilson.verdict?.cases.first { $0.name == "pgd:linf@0.1" })
        XCTAssertEqual(point.measuredText, "0.6200 (CI high 0.7090)")
        XCTAssertEqual(point.requiredText, "CI high >= 0.6800 (baseline 0.7000 - 0.0200)")
        let collapsed = GateFixture.results(curve: [GateFixture.point("pgd", eps: 0.1, robust: 50, n: 100)])
        XCTAssertEqual(try GateFixture.gate(collapsed, baseline: baseline, options: GateOptions(wilson: true, failOn: "never")).error?.exitCode, 1)
    }

    func testABaselineOfOtherDataIsAWarning() throws {
        let baseline = GateFixture.results(indices: Array(1000..<2000))
        let run = try GateFixture.gate(GateFixture.results(), baseline: baseline, options: GateOptions(failOn: "never"))
        XCTAssertNil(run.error)
        let notes = try XCTUnwrap(run.verdict?.notes)
        XCTAssertEqual(notes.filter(\.isWarning).map(\.text).first?.contains("other data (the same number of samples, but other indices)"), true, "\(notes)")
        XCTAssertFalse(notes.contains { $0.text.contains("another model") }, "same SHA-256: no model note")
    }

    func testChangedAttackParametersAreAWarning() throws {
        let run = try GateFixture.gate(GateFixture.results(pgdSteps: "10"), baseline: GateFixture.results(), options: GateOptions())
        XCTAssertTrue(run.output.contains("warning: attack 'pgd' ran differently in the baseline: steps 40 -> 10"), "\(run.output)")
    }

    func testFailOnDecidesWhichCheckStatusFails() throws {
        let results = GateFixture.results()
        XCTAssertNil(try GateFixture.gate(results, options: GateOptions()).error, "default fail: a warning passes")
        let strict = try GateFixture.gate(results, options: GateOptions(failOn: "warn"))
        XCTAssertEqual(strict.error?.description, "gate FAILED: 1 of 2 test cases failed (check zero-gradients)")
        XCTAssertTrue(strict.output.contains("      Gradients are not zero: warn: 3% of samples had zero input gradients. Try a black-box attack."),
                      "\(strict.output)")
        let failing = GateFixture.results(checks: [ValidityCheck(id: "bounds", title: "Bounds", status: .fail, detail: "eps exceeded", advice: "Fix the projection.")])
        XCTAssertEqual(try GateFixture.gate(failing, options: GateOptions()).error?.exitCode, 1)
        XCTAssertNil(try GateFixture.gate(failing, options: GateOptions(requirements: ["clean>=0.5"], failOn: "never")).error)
    }

    func testUsageErrorsExitWith2() throws {
        let results = GateFixture.results()
        let malformed = try GateFixture.gate(results, options: GateOptions(requirements: ["pgd@0.1=0.7"]))
        XCTAssertEqual(malformed.error?.exitCode, 2)
        XCTAssertTrue(malformed.error?.description.contains("e.g. clean>=0.90") == true)
        let nothing = try GateFixture.gate(GateFixture.results(checks: []), options: GateOptions())
        XCTAssertEqual(nothing.error?.exitCode, 2)
        XCTAssertTrue(nothing.error?.description.hasPrefix("nothing to judge") == true, "\(String(describing: nothing.error))")
        XCTAssertEqual(try GateFixture.gate(results, options: GateOptions(failOn: "never")).error?.exitCode, 2)
        XCTAssertEqual(try GateFixture.gate(results, options: GateOptions(failOn: "sometimes")).error?.exitCode, 2)
        XCTAssertEqual(try GateFixture.gate(results, options: GateOptions(maxDrop: "0.02")).error?.exitCode, 2, "--max-drop needs --baseline")
        XCTAssertEqual(try GateFixture.gate(results, baseline: results, options: GateOptions(maxDrop: "two")).error?.exitCode, 2)
    }

    func testAMissingRunOrBaselineIsBadInputWithExitCode3() throws {
        let folder = try GateFixture.folder()
        let missing = (folder as NSString).appendingPathComponent("nope")
        XCTAssertThrowsError(try runGate(run: missing, options: GateOptions(requirements: ["clean>=0.9"]), environment: [:]) { _ in }) { error in
            XCTAssertEqual((error as? ToolError)?.exitCode, 3)
            XCTAssertTrue("\(error)".contains(missing) && "\(error)".contains("robust eval"), "\(error)")
        }
        let run = try GateFixture.writeRun(GateFixture.results(), in: folder)
        XCTAssertThrowsError(try runGate(run: run, options: GateOptions(baseline: missing), environment: [:]) { _ in }) { error in
            XCTAssertEqual((error as? ToolError)?.exitCode, 3)
            XCTAssertTrue("\(error)".contains("no baseline results at \(missing)"), "\(error)")
        }
        try Data("{}".utf8).write(to: URL(fileURLWithPath: RunResults.resultsPath(for: run)))
        XCTAssertThrowsError(try runGate(run: run, options: GateOptions(requirements: ["clean>=0.9"]), environment: [:]) { _ in }) { error in
            XCTAssertEqual((error as? ToolError)?.exitCode, 3, "a corrupt results.json")
        }
    }

    func testAcceptsAResultsJSONPath() throws {
        let run = try GateFixture.writeRun(GateFixture.results(), in: try GateFixture.folder())
        let verdict = try runGate(run: RunResults.resultsPath(for: run), options: GateOptions(requirements: ["clean>=0.9"]), environment: [:]) { _ in }
        XCTAssertTrue(verdict.passed)
    }

    func testJudgesResultsInMemory() throws {
        let config = try GateOptions(requirements: ["worst@8/255>=0.40"], failOn: "never").resolvedConfig()
        var output: [String] = []
        let verdict = try runGate(results: GateFixture.results(), run: "in memory", config: config, environment: [:]) { output.append($0) }
        XCTAssertTrue(verdict.passed)
        XCTAssertEqual(verdict.run, "in memory")
        XCTAssertEqual(output.last, "gate passed: 3 test cases")
    }
}
