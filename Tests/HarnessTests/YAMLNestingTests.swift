import Foundation
import Harness
import XCTest

/// Deeply nested YAML is refused before Yams's recursive parser can overflow the stack (found by `make fuzz`).
final class YAMLNestingTests: XCTestCase {
    func testDeepNestingIsRefusedWithOneLine() {
        XCTAssertNotNil(yamlNestingProblem(String(repeating: "{", count: 65)))
        XCTAssertNotNil(yamlNestingProblem(String(repeating: "[", count: 2000)))
        XCTAssertNotNil(yamlNestingProblem(String(repeating: "- ", count: 65) + "x"))
        XCTAssertNotNil(yamlNestingProblem(String(repeating: " ", count: 300) + "x: 1"))
        // Closers inside quoted scalars do not hide the nesting.
        XCTAssertNotNil(yamlNestingProblem(String(repeating: "[ \"]\", ", count: 70)))
        XCTAssertThrowsError(try Suite.parse(yaml: String(repeating: "{", count: 5000), source: "deep.yaml")) { error in
            XCTAssertTrue("\(error)".contains("nests brackets 5000 deep"), "\(error)")
        }
        XCTAssertThrowsError(try GateConfig.parse(yaml: "require: " + String(repeating: "[", count: 100), source: "g.yaml")) { error in
            XCTAssertTrue("\(error)".contains("nests brackets"), "\(error)")
        }
    }

    /// Whole numbers are decimal: a base-60 YAML 1.1 integer is refused with one line, not decoded by Yams
    /// (whose base-60 arithmetic traps on overflow).
    func testSuiteIntegersAreDecimal() throws {
        XCTAssertThrowsError(try Suite.parse(yaml: "attacks:\n  - attack: pgd\n    steps: 20::::::::::2::::::::::::::::::::1\n", source: "s.yaml")) { error in
            XCTAssertTrue("\(error)".contains("is not a whole number"), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"))
        }
        let suite = try Suite.parse(yaml: "eps: [0, 0.1]\nattacks:\n  - attack: pgd\n    steps: 20\n    restarts: 2\n", source: "s.yaml")
        XCTAssertEqual(suite.attacks.first?.options.steps, 20)
        XCTAssertEqual(suite.attacks.first?.options.restarts, 2)
    }

    /// Real files pass: every shipped suite, and brackets inside quotes or comments.
    func testOrdinaryFilesPass() throws {
        let attacks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("attacks")
        let suites = try FileManager.default.contentsOfDirectory(atPath: attacks.path).filter { $0.hasSuffix(".yaml") }
        XCTAssertFalse(suites.isEmpty)
        for name in suites {
            let text = try String(contentsOfFile: attacks.appendingPathComponent(name).path, encoding: .utf8)
            XCTAssertNil(yamlNestingProblem(text), name)
            XCTAssertNoThrow(try Suite.parse(yaml: text, source: name), name)
        }
        XCTAssertNil(yamlNestingProblem("description: \"" + String(repeating: "[", count: 100) + "\" # [[[[\nname: don't[x"))
    }
}
