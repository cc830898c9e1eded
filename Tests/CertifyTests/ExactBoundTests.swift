import Certify
import NN
import XCTest
import _TestSupport

/// Both methods against the exact minimum of the margin on networks small enough to solve: one hidden ReLU
/// layer, 2 inputs, 2 to 4 hidden units, 3 classes.
///
/// The exact minimum: on each cell of the arrangement of the hidden units' lines `w_i x + b_i = 0` inside the
/// box, the margin is linear, so its minimum over the box is at a cell vertex: a box corner, or an
/// intersection of two of the lines (box edges included) that lies in the box. Evaluating the margin in Double
/// at every such point gives the minimum; a 201 x 201 grid never goes below it (a check of the oracle itself).
final class ExactBoundTests: XCTestCase {
    /// "Tighter" ignores differences within 1e-5 (1 + |exact|): below that, the two bounds differ only by their
    /// rounding allowances (both are then within a few 1e-6 of the exact minimum).
    func testBoundsNeverExceedTheExactMinimumAndCROWNIsUsuallyTighter() throws {
        var rows = 0, crownTighter = 0, ibpTighter = 0
        var ibpGap = 0.0, crownGap = 0.0
        for seed in UInt64(0)..<60 {
            let hidden = 2 + Int(seed % 3), classes = 3
            let network = TestNetworks.mlp(2, [hidden], classes, seed: seed &* 7)
            let bounded = try BoundedNetwork(network)
            var rng = SplitMix64(seed: seed &+ 500)
            let x = TestNetworks.images([4, 2], seed: seed &+ 900)
            let eps = 0.02 + 0.18 * rng.nextFloat()
            let labels = TestNetworks.predictions(network.forward(x))
            let ibp = bounded.marginBounds(x: x, labels: labels, eps: eps, method: .ibp, context: testContext)
            let crown = bounded.marginBounds(x: x, labels: labels, eps: eps, method: .crown, context: testContext)
            for s in 0..<4 {
                let lo = x.row(s).map { max(0, Double($0) - Double(eps)) }, hi = x.row(s).map { min(1, Double($0) + Double(eps)) }
                for j in 0..<classes where j != labels[s] {
                    let exact = exactMinimum(network, lo: lo, hi: hi, y: labels[s], j: j)
                    let a = Double(ibp.storage[s * classes + j]), b = Double(crown.storage[s * classes + j])
                    XCTAssertLessThanOrEqual(a, exact, "IBP above the exact minimum (seed \(seed), sample \(s), j \(j))")
                    XCTAssertLessThanOrEqual(b, exact, "CROWN above the exact minimum (seed \(seed), sample \(s), j \(j))")
                    let noise = 1e-5 * (1 + abs(exact))
                    rows += 1
                    if b > a + noise { crownTighter += 1 }
                    if a > b + noise { ibpTighter += 1 }
                    ibpGap = max(ibpGap, exact - a)
                    crownGap = max(crownGap, exact - b)
                }
            }
        }
        print("exact minimum: \(rows) rows; CROWN tighter than IBP on \(crownTighter), IBP tighter on \(ibpTighter), equal within "
              + "rounding on \(rows - crownTighter - ibpTighter); largest gap to exact: IBP \(ibpGap), CROWN \(crownGap)")
        XCTAssertGreaterThanOrEqual(Double(rows - ibpTighter), 0.8 * Double(rows), "CROWN should be at least as tight as IBP on most rows")
        XCTAssertGreaterThan(crownTighter, 5 * ibpTighter, "CROWN should win far more often than IBP")
    }

    /// The exact minimum over the box `[lo, hi]` of `z_y - z_j` for a `Linear(2, h), ReLU, Linear(h, K)` network.
    func exactMinimum(_ network: Sequential, lo: [Double], hi: [Double], y: Int, j: Int) -> Double {
        let first = network.layers[0] as! Linear, last = network.layers[2] as! Linear
        let w1 = first.weight.value.storage.map(Double.init), b1 = first.bias!.value.storage.map(Double.init)
        let w2 = last.weight.value.storage.map(Double.init), b2 = last.bias!.value.storage.map(Double.init)
        let hidden = first.outFeatures
        func margin(_ p: (Double, Double)) -> Double {
            var m = b2[y] - b2[j]
            for i in 0..<hidden {
                m += (w2[y * hidden + i] - w2[j * hidden + i]) * max(0, w1[2 * i] * p.0 + w1[2 * i + 1] * p.1 + b1[i])
            }
            return m
        }
        // Lines a x + b y = c: the four box edges, then each hidden unit's kink.
        var lines = [(1.0, 0.0, lo[0]), (1, 0, hi[0]), (0, 1, lo[1]), (0, 1, hi[1])]
        lines += (0..<hidden).map { (w1[2 * $0], w1[2 * $0 + 1], -b1[$0]) }
        var best = Double.infinity
        for m in lines.indices {
            for n in lines.indices where n > m {
                let (a1, b1, c1) = lines[m], (a2, b2, c2) = lines[n]
                let det = a1 * b2 - a2 * b1
                guard abs(det) > 1e-14 else { continue }
                let p = ((c1 * b2 - c2 * b1) / det, (a1 * c2 - a2 * c1) / det)
                guard p.0 >= lo[0] - 1e-12, p.0 <= hi[0] + 1e-12, p.1 >= lo[1] - 1e-12, p.1 <= hi[1] + 1e-12 else { continue }
                best = min(best, margin((min(hi[0], max(lo[0], p.0)), min(hi[1], max(lo[1], p.1)))))
            }
        }
        var grid = Double.infinity
        for u in 0...200 {
            for v in 0...200 {
                grid = min(grid, margin((lo[0] + (hi[0] - lo[0]) * Double(u) / 200, lo[1] + (hi[1] - lo[1]) * Double(v) / 200)))
            }
        }
        XCTAssertGreaterThanOrEqual(grid, best - 1e-9, "the vertex enumeration missed a lower point")
        return best
    }
}
