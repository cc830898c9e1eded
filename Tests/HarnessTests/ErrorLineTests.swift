import Foundation
import Harness
import XCTest

/// An error is one line however hostile the text it quotes (found by `make fuzz`; see Tests/Fixtures/fuzz).
final class ErrorLineTests: XCTestCase {
    func testSingleLineEscapesControlCharacters() {
        XCTAssertEqual(singleLine("  bad 'a\nb'\t\u{0}\u{1B}[31m\r\n"), "bad 'a\\nb'\\t\\u{0}\\u{1B}[31m")
        XCTAssertEqual(singleLine("line\u{2028}sep é ε"), "line\\u{2028}sep é ε")
        XCTAssertEqual(singleLine("plain"), "plain")
    }

    /// Yams follows its message with the offending line and a caret; only the message is kept.
    func testYAMLErrorsKeepTheirFirstLine() {
        XCTAssertThrowsError(try GateConfig.parse(yaml: "require: [clean>=0.9\nbaseline: x\n", source: "g.yaml")) { error in
            XCTAssertFalse("\(error)".contains("\n"), "\(error)")
            XCTAssertTrue("\(error)".hasPrefix("gate config g.yaml: not valid YAML ("), "\(error)")
        }
        XCTAssertThrowsError(try Suite.parse(yaml: "attacks: [ {attack: pgd\n", source: "s.yaml")) { error in
            XCTAssertFalse("\(error)".contains("\n"), "\(error)")
        }
    }

    /// The CLI prints one stderr line for a flag value holding a newline.
    func testCLIPrintsOneLineForANewlineInAFlag() throws {
        let result = try runCommand(try builtRobustBinary(), ["gate", "/nonexistent", "--require", "clean>=0.9\n>=1"])
        XCTAssertEqual(result.code, 2, result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("\\n"), result.stderr)
    }
}
