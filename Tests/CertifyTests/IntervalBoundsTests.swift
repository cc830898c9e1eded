import Certify
import NN
import XCTest
import _TestSupport

/// IBP against `NaiveInterval` (Double, per-layer loops) on small random networks of every layer kind.
///
/// Two checks per bound. Soundness direction, no tolerance beyond Double's own rounding: the Float bounds
/// hold the Double ones (`lower <= naive lower + 1e-12 (1 + |naive|)`; with the outward rounding switched
/// off this fails by about 1e-8 on the MLP, so it can fail). Closeness: they are wider by at most
/// `1e-3 (1 + |naive|)`. What they lose is the outward rounding (`Rounding`): `(k + 16) 2^-23`, 2e-6 to 8e-6
/// for the fan-ins here, of each layer's magnitudes `|mu| + r`, which for a small eps are many times the
/// radius, carried through the later layers' `|W|` (measured: at most 1.4e-4; 2.5e-6 without it). A wrong
/// index or a missed term costs an error of the order of the bound itself.
final class IntervalBoundsTests: XCTestCase {
    let samples = 5

    func testMLP() throws {
        for (seed, eps) in [(UInt64(1), Float(0.02)), (2, 0.1), (3, 0.3)] {
            try check(TestNetworks.mlp(12, [16, 16], 6, seed: seed), inputShape: [12], eps: eps, seed: seed)
        }
    }

    func testConvNetWithStridePaddingPoolsAndBatchNorm() throws {
        for (seed, eps) in [(UInt64(11), Float(0.01)), (12, 0.05)] {
            try check(TestNetworks.convNet(seed: seed), inputShape: [2, 10, 10], eps: eps, seed: seed)
        }
    }

    func testResidualNet() throws {
        for (seed, eps) in [(UInt64(21), Float(0.01)), (22, 0.05)] {
            try check(TestNetworks.residualNet(seed: seed), inputShape: [1, 8, 8], eps: eps, seed: seed)
        }
    }

    func testNetworkWithoutLinearHead() throws {
        try check(TestNetworks.allConvNet(seed: 25), inputShape: [1, 6, 6], eps: 0.05, seed: 25)
    }

    /// Output intervals and margins (elided when the network ends in a Linear layer) of `network` against the naive propagation.
    func check(_ network: Sequential, inputShape: [Int], eps: Float, seed: UInt64,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let x = TestNetworks.images([samples] + inputShape, seed: seed &+ 1000)
        let box = Interval(ball: x, eps: eps)
        let bounded = try BoundedNetwork(network)
        let out = bounded.intervalBounds(box, context: testContext)
        let classes = out.lower.dim(1), labels = (0..<samples).map { $0 % classes }
        let margins = bounded.marginBounds(x: x, labels: labels, eps: eps, method: .ibp, context: testContext)
        var widest = 0.0
        for s in 0..<samples {
            let naive = NaiveInterval(box, sample: s).through(network)
            XCTAssertEqual(naive.lower.count, out.lower.sampleSize, file: file, line: line)
            for (i, (mine, exact)) in zip(out.lower.row(s), naive.lower).enumerated() {
                widest = max(widest, expectHolds(lower: Double(mine), exact, "lower \(s),\(i)", file: file, line: line))
            }
            for (i, (mine, exact)) in zip(out.upper.row(s), naive.upper).enumerated() {
                widest = max(widest, expectHolds(lower: -Double(mine), -exact, "upper \(s),\(i)", file: file, line: line))
            }
            for j in 0..<classes where j != labels[s] {
                let exact: Double
                if let head = network.layers.last as? Linear {
                    exact = elidedMargin(head, NaiveInterval(box, sample: s).through(Sequential(Array(network.layers.dropLast()))), labels[s], j)
                } else {
                    exact = naive.lower[labels[s]] - naive.upper[j]
                }
                let mine = Double(margins.storage[s * classes + j])
                widest = max(widest, expectHolds(lower: mine, exact, "margin \(s),\(j)", file: file, line: line))
            }
            XCTAssertEqual(margins.storage[s * classes + labels[s]], .infinity, file: file, line: line)
        }
        print("IBP vs naive Double, eps \(eps): widest gap \(widest) (relative to 1 + |bound|)")
    }

    /// Checks `lower` against the naive `exact` lower bound; returns the gap relative to `1 + |exact|`.
    func expectHolds(lower: Double, _ exact: Double, _ what: String, file: StaticString, line: UInt) -> Double {
        let scale = 1 + abs(exact)
        XCTAssertLessThanOrEqual(lower, exact + 1e-12 * scale, "\(what): tighter than exact", file: file, line: line)
        XCTAssertGreaterThanOrEqual(lower, exact - 1e-3 * scale, "\(what): too loose", file: file, line: line)
        return (exact - lower) / scale
    }

    /// `min (W_y - W_j) h + b_y - b_j` over the box `h`, one corner per coordinate.
    func elidedMargin(_ head: Linear, _ h: NaiveInterval, _ y: Int, _ j: Int) -> Double {
        let w = head.weight.value.storage, n = head.inFeatures, b = head.bias!.value.storage
        var sum = Double(b[y]) - Double(b[j])
        for i in 0..<n {
            let d = Double(w[y * n + i]) - Double(w[j * n + i])
            sum += d >= 0 ? d * h.lower[i] : d * h.upper[i]
        }
        return sum
    }
}
