import Foundation
import XCTest

/// The progress lines of a real evaluation, extra validity checks included, never pass 100 % and
/// never show a negative ETA.
final class ProgressLineTests: XCTestCase {
    func testProgressEndsAtOneHundredPercentWithTheExtraChecks() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("robust-progress-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try runCommand(try builtRobustBinary(), ["eval", "--model", "cnn", "--models-dir", root.appendingPathComponent("models").path,
                                                            "--attack", "pgd", "--steps", "3", "--eps", "0.05,0.1", "--samples", "40",
                                                            "--out", out.path])
        XCTAssertEqual(result.code, 0, result.stderr)
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("ETA") }
        XCTAssertGreaterThanOrEqual(lines.count, 4, "two epsilons and the two extra checks: \(result.stderr)")
        for line in lines {
            let percent = try XCTUnwrap(line.range(of: #"\[ *(\d+)%"#, options: .regularExpression)).lowerBound
            let value = Int(line[percent...].dropFirst().drop { $0 == " " }.prefix { $0.isNumber })!
            XCTAssertLessThanOrEqual(value, 100, String(line))
            XCTAssertFalse(line.contains("ETA -"), String(line))
        }
        XCTAssertTrue(lines.last!.contains("100%"), "the last line (an extra check) ends the run: \(lines.last!)")
    }
}
