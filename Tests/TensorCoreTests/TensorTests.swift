import TensorCore
import XCTest

final class TensorTests: XCTestCase {
    func testShapeAndReshape() {
        let t = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t.count, 6)
        XCTAssertEqual(t.dim(-1), 3)
        XCTAssertEqual(t.reshaped([3, 2]).shape, [3, 2])
        XCTAssertEqual(t.reshaped([6]).storage, t.storage)
    }

    func testSplitMixMatchesPublishedSequence() {
        // First outputs of SplitMix64 seeded with 1234567 (from the reference C implementation).
        var g = SplitMix64(seed: 1_234_567)
        XCTAssertEqual(g.next(), 6_457_827_717_110_365_317)
        XCTAssertEqual(g.next(), 3_203_168_211_198_807_973)
    }

    func testDerivedStreamsAreStableAndDistinct() {
        let a = SplitMix64.derive(7, 100, 2)
        XCTAssertEqual(a, SplitMix64.derive(7, 100, 2), "same keys, same stream")
        XCTAssertNotEqual(a, SplitMix64.derive(7, 101, 2))
        XCTAssertNotEqual(a, SplitMix64.derive(7, 100, 3))
        XCTAssertNotEqual(a, SplitMix64.derive(8, 100, 2))
    }

    func testUniformAndGaussianMoments() {
        var g = SplitMix64(seed: 3)
        let n = 100_000
        var sum = 0.0, sumSq = 0.0, gsum = 0.0, gsq = 0.0
        for _ in 0..<n {
            let u = Double(g.nextFloat())
            XCTAssert(u >= 0 && u < 1)
            sum += u; sumSq += u * u
            let z = Double(g.nextGaussian())
            gsum += z; gsq += z * z
        }
        // Standard errors: uniform mean 0.29/sqrt(n) ~ 1e-3, gaussian mean 1/sqrt(n) ~ 3e-3; 5 sigma.
        XCTAssertEqual(sum / Double(n), 0.5, accuracy: 5e-3)
        XCTAssertEqual(sumSq / Double(n) - 0.25, 1.0 / 12, accuracy: 5e-3)
        XCTAssertEqual(gsum / Double(n), 0, accuracy: 1.5e-2)
        XCTAssertEqual(gsq / Double(n), 1, accuracy: 2.5e-2)
    }
}
