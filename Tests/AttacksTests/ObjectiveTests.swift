import Attacks
import NN
import XCTest

/// Each objective's dValue/dLogits against central differences in Double.
final class ObjectiveTests: XCTestCase {
    func testGradientsMatchFiniteDifferences() {
        var rng = SplitMix64(seed: 5)
        let n = 3, k = 6
        let logits = Tensor(shape: [n, k], storage: (0..<(n * k)).map { _ in 4 * rng.nextFloat() - 2 })
        let labels = [0, 3, 5], targets = [2, 1, 4]
        for objective in Objective.allCases {
            let analytic = objective.evaluate(logits: logits, labels: labels, targets: targets)
            for i in 0..<(n * k) {
                let h: Float = 1e-3
                var plus = logits, minus = logits
                plus.storage[i] += h
                minus.storage[i] -= h
                let row = i / k
                let numeric = (Double(objective.evaluate(logits: plus, labels: labels, targets: targets).values[row])
                               - Double(objective.evaluate(logits: minus, labels: labels, targets: targets).values[row])) / (2 * Double(h))
                XCTAssertEqual(Double(analytic.dLogits.storage[i]), numeric, accuracy: 2e-3 * max(1, abs(numeric)), "\(objective) logit \(i)")
            }
        }
    }

    func testDLRMatchesItsDefinition() {
        // z sorted: 3 (class 1), 2 (class 0), 1 (class 2), 0 (class 3); label 0: -(2 - 3) / (3 - 1) = 0.5
        let logits = Tensor(shape: [1, 4], storage: [2, 3, 1, 0])
        XCTAssertEqual(Objective.dlr.evaluate(logits: logits, labels: [0], targets: nil).values[0], 0.5, accuracy: 1e-6)
        // targeted, label 0, target 2: -(2 - 1) / (3 - (1 + 0) / 2) = -0.4
        XCTAssertEqual(Objective.targetedDLR.evaluate(logits: logits, labels: [0], targets: [2]).values[0], -0.4, accuracy: 1e-6)
    }
}
