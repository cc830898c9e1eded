import Attacks
import Foundation
import Harness
import Metrics
import Models
import XCTest
import _TestSupport

/// `robust models record`: a run's robust accuracies land in the evaluated checkpoint's card, and
/// only when the run evaluated exactly those weights.
final class ModelCardRecordTests: XCTestCase {
    func testRecordsIntoTheMatchingCardOnly() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("robust-record-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let models = EvaluationTests.repository.appendingPathComponent("models")
        for ext in ["safetensors", "json"] {
            try FileManager.default.copyItem(at: models.appendingPathComponent("mlp-fmnist.\(ext)"), to: folder.appendingPathComponent("mlp.\(ext)"))
        }
        let checkpoint = folder.appendingPathComponent("mlp.safetensors").path
        let request = EvalRequest(model: checkpoint, samples: 20,
                                  attacks: [AttackSpec(id: "fgsm", attack: "fgsm", options: AttackOptions(), epsilons: [0, 0.1])], extraChecks: false)
        let results = try runEvaluation(request, context: testContext, progress: false)
        let run = folder.appendingPathComponent("run").path
        try writeRun(results, to: run)
        let (cardPath, entries) = try recordRobustAccuracy(run: run)
        XCTAssertEqual(entries.map(\.attack), ["fgsm", "worst(fgsm)"])
        let card = try ModelCard.read(path: cardPath)
        XCTAssertEqual(card.robustAccuracy.count, 2)
        XCTAssertEqual(card.robustAccuracy[0].accuracy, results.curve.first { $0.attack == "fgsm" && $0.eps == 0.1 }!.robustAcc)
        _ = try recordRobustAccuracy(run: run)
        XCTAssertEqual(try ModelCard.read(path: cardPath).robustAccuracy.count, 2, "recording again replaces, not duplicates")

        // Certified accuracy is recorded as a lower bound named by its methods, never as a worst case.
        var certifying = request
        certifying.certify = ["ibp"]
        try writeRun(try runEvaluation(certifying, context: testContext, progress: false), to: run)
        let (_, withBounds) = try recordRobustAccuracy(run: run)
        XCTAssertEqual(withBounds.map(\.attack), ["fgsm", "worst(fgsm)", "certified(ibp)"])
        XCTAssertTrue(withBounds[2].command.contains("certified lower bound"), withBounds[2].command)
        XCTAssertLessThanOrEqual(withBounds[2].accuracy, withBounds[1].accuracy)

        // Other weights behind the same card path: refused with exit 3.
        var other = results
        other.model.sha256 = String(repeating: "0", count: 64)
        try writeResults(other, to: run)
        XCTAssertThrowsError(try recordRobustAccuracy(run: run)) { error in
            XCTAssertEqual((error as? ToolError)?.exitCode, 3, "\(error)")
        }
    }
}
