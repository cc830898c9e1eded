import Metrics
import XCTest

final class WilsonTests: XCTestCase {
    /// Reference values from the closed form (e.g. statsmodels proportion_confint(method="wilson")).
    func testKnownIntervals() {
        let (low, high) = wilsonInterval(successes: 50, trials: 100)
        XCTAssertEqual(low, 0.4038, accuracy: 1e-4)
        XCTAssertEqual(high, 0.5962, accuracy: 1e-4)
        let zero = wilsonInterval(successes: 0, trials: 10)
        XCTAssertEqual(zero.low, 0, accuracy: 1e-12)
        XCTAssertEqual(zero.high, 0.2775, accuracy: 1e-4)
        let all = wilsonInterval(successes: 10, trials: 10)
        XCTAssertEqual(all.low, 0.7225, accuracy: 1e-4)
        XCTAssertEqual(all.high, 1, accuracy: 1e-12)
    }

    func testWorstCaseTakesEveryAttack() {
        func record(_ i: Int, _ attack: String, robust: Bool) -> SampleRecord {
            SampleRecord(index: i, label: 1, attack: attack, norm: "linf", eps: 0.1, cleanPred: 1, advPred: robust ? 1 : 2,
                         success: !robust, linf: 0.1, l2: 1)
        }
        let samples = [record(0, "fgsm", robust: true), record(0, "pgd", robust: false),
                       record(1, "fgsm", robust: true), record(1, "pgd", robust: true),
                       record(2, "fgsm", robust: false), record(2, "pgd", robust: true)]
        let worst = CurvePoint.worstCase(samples: samples)
        XCTAssertEqual(worst.count, 1)
        XCTAssertEqual(worst[0].n, 3)
        XCTAssertEqual(worst[0].robustAcc, 1.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(worst[0].successRate, 2.0 / 3.0, accuracy: 1e-12)
    }
}
