import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Harness
import Metrics
import XCTest

/// The gate's files and annotations: JUnit XML, the Markdown summary, GitHub workflow commands.
final class GateReportTests: XCTestCase {
    /// A failing verdict: a met and a failed requirement, a missing point with XML-hostile characters, two checks.
    func failingRun(options: GateOptions = GateOptions(), environment: [String: String] = [:]) throws -> (verdict: GateVerdict?, error: ToolError?, output: [String], folder: String) {
        var options = options
        options.requirements += ["clean>=0.90", "pgd@0.1>=0.75", "<&\"x'>@0.1>=0.5"]
        return try GateFixture.gate(GateFixture.results(), options: options, environment: environment)
    }

    func testJUnitXMLParsesAndCountsTestCasesAndFailures() throws {
        let folder = try GateFixture.folder()
        let path = (folder as NSString).appendingPathComponent("out/junit.xml")   // the folder is created
        let run = try failingRun(options: GateOptions(junitPath: path))
        XCTAssertEqual(run.error?.exitCode, 1, "written, then failed")
        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: path))
        let suite = try XCTUnwrap(document.rootElement()?.elements(forName: "testsuite").first)
        XCTAssertEqual(suite.attribute(forName: "name")?.stringValue, "robust gate")
        XCTAssertEqual(suite.attribute(forName: "tests")?.stringValue, "5")
        XCTAssertEqual(suite.attribute(forName: "failures")?.stringValue, "2")
        let cases = suite.elements(forName: "testcase")
        XCTAssertEqual(cases.count, 5)
        XCTAssertEqual(cases.filter { !$0.elements(forName: "failure").isEmpty }.count, 2)
        XCTAssertEqual(cases.map { $0.attribute(forName: "classname")?.stringValue ?? "" },
                       ["robust.gate.requirement", "robust.gate.requirement", "robust.gate.requirement", "robust.gate.check", "robust.gate.check"])
        XCTAssertEqual(cases[2].attribute(forName: "name")?.stringValue, "<&\"x'>@0.1>=0.5", "escaped and read back")
        let failure = try XCTUnwrap(cases[1].elements(forName: "failure").first)
        XCTAssertEqual(failure.attribute(forName: "message")?.stringValue, "measured 0.7000, required >= 0.7500")
        let properties = document.rootElement()?.elements(forName: "testsuite").first?.elements(forName: "properties").first?.elements(forName: "property")
        XCTAssertEqual(properties?.first { $0.attribute(forName: "name")?.stringValue == "model_sha256" }?.attribute(forName: "value")?.stringValue,
                       String(repeating: "a", count: 64))
    }

    func testMarkdownSummaryIsAppendedWithTablesAndMarks() throws {
        let folder = try GateFixture.folder()
        let path = (folder as NSString).appendingPathComponent("summary.md")
        try Data("earlier step".utf8).write(to: URL(fileURLWithPath: path))
        _ = try failingRun(options: GateOptions(summaryPath: path))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("earlier step\n\n## robust gate: ❌ failed\n"), text)
        XCTAssertTrue(text.contains("2 of 5 test cases failed."), text)
        XCTAssertTrue(text.contains("### Requirements\n\n| | Requirement | Measured | Required |\n|---|---|---|---|\n"), text)
        XCTAssertTrue(text.contains("| ✅ | `clean>=0.90` | 0.9200 | >= 0.9000 |"), text)
        XCTAssertTrue(text.contains("| ❌ | `pgd@0.1>=0.75` | 0.7000 | >= 0.7500 |"), text)
        XCTAssertTrue(text.contains("### Validity checks"), text)
        XCTAssertTrue(text.contains("| ⚠️ | `zero-gradients` | status warn | status pass or warn | Gradients are not zero"), text)
        XCTAssertFalse(text.contains("### Baseline"), "no baseline, no section")
        _ = try failingRun(options: GateOptions(summaryPath: path))
        let twice = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(twice.components(separatedBy: "## robust gate").count, 3, "appended, not replaced")
    }

    func testMarkdownSummaryOfABaselineComparison() throws {
        let baseline = GateFixture.results(indices: Array(0..<500), cleanCorrect: 460)
        let run = try GateFixture.gate(GateFixture.results(), baseline: baseline, options: GateOptions())
        let text = try XCTUnwrap(run.verdict).markdownSummary()
        XCTAssertTrue(text.hasPrefix("## robust gate: ✅ passed\n"), text)
        XCTAssertTrue(text.contains("### Baseline\n\n| | Point | Measured | Required | Details |"), text)
        XCTAssertTrue(text.contains("| ✅ | `pgd:linf@8/255` | 0.4500 | >= 0.4300 (baseline 0.4500 - 0.0200) |"), text)
        XCTAssertTrue(text.contains("- ⚠️ **WARN** the baseline was evaluated on other data (500 samples vs this run's 1000)"), text)
    }

    func testGitHubAnnotationsOnlyOnGitHubActions() throws {
        let quiet = try failingRun(environment: ["CI": "true"])
        XCTAssertFalse(quiet.output.contains { $0.hasPrefix("::") }, "\(quiet.output)")
        let github = try failingRun(environment: ["GITHUB_ACTIONS": "true"])
        let annotations = github.output.filter { $0.hasPrefix("::") }
        XCTAssertEqual(annotations.count, 3, "\(annotations)")
        XCTAssertEqual(annotations[0], "::error title=robust gate::pgd@0.1>=0.75: measured 0.7000, required >= 0.7500")
        XCTAssertTrue(annotations[1].hasPrefix("::error title=robust gate::<&\"x'>@0.1>=0.5: "), annotations[1])
        XCTAssertTrue(annotations[2].hasPrefix("::warning title=robust gate::check zero-gradients: Gradients are not zero"), annotations[2])
    }

    func testAnnotationMessagesEscapeLineBreaksAndPercent() throws {
        let results = GateFixture.results(checks: [ValidityCheck(id: "x", title: "T", status: .fail, detail: "100% wrong\nsecond line", advice: "Fix.")])
        let verdict = try GateVerdict.judge(results, run: "r", config: GateConfig())
        XCTAssertEqual(verdict.githubAnnotations(environment: ["GITHUB_ACTIONS": "true"]),
                       ["::error title=robust gate::check x: T: fail: 100%25 wrong%0Asecond line. Fix."])
    }
}
