import Harness
import Metrics
import XCTest

/// Parsing requirements (`clean>=0.90`, `pgd:l2@0.5>=60%`) and judging them against a run.
final class GateRequirementTests: XCTestCase {
    func testParsesTargetsOperatorsAndValues() throws {
        XCTAssertEqual(try GateRequirement.parse("clean>=0.90"),
                       GateRequirement(target: .clean, comparison: .atLeast, threshold: 0.9, text: "clean>=0.90"))
        let pgd = try GateRequirement.parse(" pgd@0.1 > 70% ")
        XCTAssertEqual(pgd.target, .curve(attack: "pgd", norm: nil, eps: 0.1))
        XCTAssertEqual(pgd.comparison, .above)
        XCTAssertEqual(pgd.threshold, 0.7, accuracy: 1e-12)
        XCTAssertEqual(pgd.text, "pgd@0.1 > 70%")
        XCTAssertEqual(try GateRequirement.parse("worst@8/255<=0.4").target, .curve(attack: "worst", norm: nil, eps: 8.0 / 255))
        XCTAssertEqual(try GateRequirement.parse("apgd-ce:L2@0.5<0.6").target, .curve(attack: "apgd-ce", norm: "l2", eps: 0.5))
        XCTAssertEqual(try GateRequirement.parse("clean<0.5").comparison, .below)
        XCTAssertEqual(try GateRequirement.parse("clean<=1").comparison, .atMost)
    }

    func testMalformedRequirementsAreUsageErrorsThatTeachTheSyntax() {
        for text in ["clean", "clean>=", "clean>=1.5", "clean>=150%", "pgd>=0.5", "pgd@x>=0.5", "@0.1>=0.5", "pgd:l2:x@0.1>=0.5", "clean=>0.9"] {
            XCTAssertThrowsError(try GateRequirement.parse(text), text) { error in
                guard let tool = error as? ToolError, case .usage(let message) = tool else { return XCTFail("\(text): \(error)") }
                XCTAssertEqual(tool.exitCode, 2)
                XCTAssertTrue(message.contains("e.g. clean>=0.90"), message)
            }
        }
    }

    func testJudgesCleanAndCurvePointsWithEpsilonTolerance() throws {
        let results = GateFixture.results()
        XCTAssertTrue(try GateRequirement.parse("clean>=0.92").evaluate(on: results).passed)   // inclusive, 920/1000
        XCTAssertFalse(try GateRequirement.parse("clean>0.92").evaluate(on: results).passed)
        let pgd = try GateRequirement.parse("pgd@0.0313725>=0.45").evaluate(on: results)     // 8/255 within 1e-6
        XCTAssertTrue(pgd.passed)
        XCTAssertEqual(pgd.measured ?? -1, 0.45, accuracy: 1e-12)
        let worst = try GateRequirement.parse("worst:linf@8/255>=0.43").evaluate(on: results)
        XCTAssertFalse(worst.passed)
        XCTAssertEqual(worst.measuredText, "0.4200")
        XCTAssertEqual(worst.requiredText, ">= 0.4300")
        XCTAssertTrue(try GateRequirement.parse("pgd@0.1<=70%").evaluate(on: results).passed)
    }

    func testUnknownAttackNormOrEpsilonFailsListingWhatTheRunHas() throws {
        let results = GateFixture.results()
        let attack = try GateRequirement.parse("fgsm@0.1>=0.5").evaluate(on: results)
        XCTAssertFalse(attack.passed)
        XCTAssertNil(attack.measured)
        XCTAssertTrue(attack.message.hasPrefix("the run has no attack 'fgsm'; it has pgd (linf), worst (linf)"), attack.message)
        let norm = try GateRequirement.parse("pgd:l2@0.1>=0.5").evaluate(on: results)
        XCTAssertTrue(norm.message.contains("ran at linf, not l2"), norm.message)
        let eps = try GateRequirement.parse("pgd@0.2>=0.5").evaluate(on: results)
        XCTAssertFalse(eps.passed)
        XCTAssertTrue(eps.message.contains("no point at epsilon 0.2; its epsilons are 8/255, 0.1"), eps.message)
    }

    func testAnAttackAtTwoNormsNeedsTheNorm() throws {
        let results = GateFixture.results(curve: [GateFixture.point("pgd", "linf", eps: 0.5, robust: 100),
                                                  GateFixture.point("pgd", "l2", eps: 0.5, robust: 600)])
        XCTAssertThrowsError(try GateRequirement.parse("pgd@0.5>=0.6").evaluate(on: results)) { error in
            XCTAssertEqual((error as? ToolError)?.exitCode, 2)
            XCTAssertTrue("\(error)".contains("norms l2 and linf"), "\(error)")
            XCTAssertTrue("\(error)".contains("pgd:l2@0.5"), "\(error)")
        }
        XCTAssertTrue(try GateRequirement.parse("pgd:l2@0.5>=0.6").evaluate(on: results).passed)
        XCTAssertFalse(try GateRequirement.parse("pgd:linf@0.5>=0.6").evaluate(on: results).passed)
    }
}
