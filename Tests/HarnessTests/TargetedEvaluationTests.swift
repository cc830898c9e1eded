import Attacks
import Foundation
import Harness
import Metrics
import XCTest
import _TestSupport

/// Targeted runs count a success only when the target is hit, and a sample pushed to another wrong
/// class at a small ε is attacked again at larger ones (its target may be reachable there).
final class TargetedEvaluationTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testSuccessMeansTheTargetAndWrongClassesAreAttackedAgain() throws {
        let target = 8 // "Bag": far from most classes, so PGD passes through other wrong classes first
        let epsilons = [0, 0.02, 0.05, 0.1, 0.2]
        let spec = AttackSpec(id: "pgd", attack: "pgd", options: AttackOptions(steps: 10, target: .fixed(target)), epsilons: epsilons)
        let request = EvalRequest(model: "cnn", modelsDirectory: Self.repository.appendingPathComponent("models").path, samples: 150,
                                  attacks: [spec], batchSize: 64, seed: 2, extraChecks: false)
        let results = try runEvaluation(request, context: testContext, progress: false)
        var bySample: [Int: [SampleRecord]] = [:]
        for r in results.samples { bySample[r.index, default: []].append(r) }
        for r in results.samples where r.cleanPred == r.label && r.label != target {
            XCTAssertEqual(r.success, r.advPred == target, "sample \(r.index) at ε \(r.eps): success must mean the target was hit")
        }
        // Samples first sent to another wrong class, later to the target.
        let detoured = bySample.values.filter { records in
            let sorted = records.sorted { $0.eps < $1.eps }
            guard let wrong = sorted.firstIndex(where: { $0.advPred != $0.label && $0.advPred != target }) else { return false }
            return sorted[wrong...].contains { $0.advPred == target }
        }
        XCTAssertFalse(detoured.isEmpty, "no sample went from a wrong class to the target: reuse kept non-target records")
        for point in results.curve where point.attack == "pgd" {
            let records = results.samples.filter { $0.eps == point.eps && $0.cleanPred == $0.label }
            let hits = records.filter { $0.success }.count
            XCTAssertEqual(point.successRate, records.isEmpty ? 0 : Double(hits) / Double(records.count), accuracy: 1e-12,
                           "ε \(point.eps): the success rate counts target hits only")
            let leftTrueClass = records.filter { $0.advPred != $0.label }.count
            if point.eps == 0.02 { XCTAssertGreaterThan(leftTrueClass, hits, "at a small ε some samples leave their class without reaching the target") }
        }
    }

    func testIndicesFileTakesCommas() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("robust-indices-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("5, 3,9\n# a comment\n12 # another\n".utf8).write(to: file)
        let spec = AttackSpec(id: "fgsm", attack: "fgsm", options: AttackOptions(), epsilons: [0.05])
        let request = EvalRequest(model: "cnn", modelsDirectory: Self.repository.appendingPathComponent("models").path,
                                  indicesFile: file.path, attacks: [spec], extraChecks: false)
        XCTAssertEqual(try runEvaluation(request, context: testContext, progress: false).dataset.indices, [5, 3, 9, 12])
    }
}
