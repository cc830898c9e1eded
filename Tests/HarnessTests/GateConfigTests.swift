import Foundation
import Harness
import XCTest

/// The gate YAML file (`--config`) and how flags add to and override it.
final class GateConfigTests: XCTestCase {
    func testParsesEveryKey() throws {
        let config = try GateConfig.parse(yaml: """
            require:
              - clean>=0.90
              - worst@8/255>=40%
            baseline: reports/baseline/results.json
            max_drop: 2%
            wilson: true
            fail_on: warn
            """, source: "gate.yaml")
        XCTAssertEqual(config.requirements.map(\.text), ["clean>=0.90", "worst@8/255>=40%"])
        XCTAssertEqual(config.baseline, "reports/baseline/results.json")
        XCTAssertEqual(config.maxDrop ?? -1, 0.02, accuracy: 1e-12)
        XCTAssertEqual(config.wilson, true)
        XCTAssertEqual(config.failOn, .warn)
        XCTAssertEqual(try GateConfig.parse(yaml: "require: clean>=0.9", source: "g").requirements.count, 1, "one string")
        XCTAssertEqual(try GateConfig.parse(yaml: "", source: "g"), GateConfig(), "empty file")
    }

    func testUnknownKeysAndBadValuesAreUsageErrorsNamingThem() {
        let cases = [
            "require: [clean>=0.9]\nmaxdrop: 0.02": "gate config gate.yaml: unknown key 'maxdrop'; known keys: require, baseline, max_drop, wilson, fail_on",
            "wilson: maybe": "gate config gate.yaml: wilson must be true or false",
            "fail_on: always": "gate config gate.yaml: fail_on 'always' is not one of warn, fail, never",
            "require: [clean=0.9]": "gate config gate.yaml: requirement 'clean=0.9' has no comparison",
            "- clean>=0.9": "gate config gate.yaml: expected a mapping",
            "require: [clean>=0.9": "gate config gate.yaml: not valid YAML",
        ]
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try GateConfig.parse(yaml: yaml, source: "gate.yaml"), yaml) { error in
                XCTAssertEqual((error as? ToolError)?.exitCode, 2, yaml)
                XCTAssertTrue("\(error)".hasPrefix(expected), "\(error)")
            }
        }
    }

    func testFlagsAddRequirementsAndOverrideSettings() throws {
        let folder = try GateFixture.folder()
        let path = (folder as NSString).appendingPathComponent("gate.yaml")
        try Data("require: [clean>=0.90]\nbaseline: base\nmax_drop: 0.05\nfail_on: warn\n".utf8).write(to: URL(fileURLWithPath: path))
        let config = try GateOptions(requirements: ["pgd@0.1>=0.7"], configPath: path, maxDrop: "0.01").resolvedConfig()
        XCTAssertEqual(config.requirements.map(\.text), ["clean>=0.90", "pgd@0.1>=0.7"])
        XCTAssertEqual(config.baseline, "base")
        XCTAssertEqual(config.effectiveMaxDrop, 0.01)
        XCTAssertEqual(config.effectiveFailOn, .warn)
        XCTAssertEqual(config.effectiveWilson, false)
        XCTAssertEqual(try GateOptions(configPath: path, failOn: "never").resolvedConfig().failOn, .never)
        XCTAssertEqual(GateConfig().effectiveMaxDrop, 0.02)
    }

    func testAMissingConfigFileIsBadInput() {
        XCTAssertThrowsError(try GateOptions(configPath: "/nonexistent/gate.yaml").resolvedConfig()) { error in
            XCTAssertEqual((error as? ToolError)?.exitCode, 3)
        }
    }

    func testAGateFileDrivesTheGate() throws {
        let folder = try GateFixture.folder()
        let run = try GateFixture.writeRun(GateFixture.results(), in: folder)
        let baseline = try GateFixture.writeRun(GateFixture.results(cleanCorrect: 990), in: folder, name: "baseline")
        let path = (folder as NSString).appendingPathComponent("gate.yaml")
        try Data("require: [clean>=0.90]\nbaseline: \(baseline)\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try runGate(run: run, options: GateOptions(configPath: path), environment: [:]) { _ in }) { error in
            XCTAssertEqual("\(error)", "gate FAILED: 1 of 8 test cases failed (baseline clean)")
        }
    }
}
