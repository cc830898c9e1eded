import Certify
import NN
import XCTest
import _TestSupport

/// Both methods' margin bounds against what an adversary finds: thousands of points of each ball (half of
/// them corners, where piecewise-linear networks take their extremes) and projected gradient descent on
/// `z_y - z_j`. Any margin below a bound would be a soundness bug; none may occur.
final class SoundnessTests: XCTestCase {
    let samples = 4, pointsPerSample = 1000, pgdSteps = 20

    func testMLP() throws {
        try check(TestNetworks.mlp(6, [10, 10], 4, seed: 31), inputShape: [6], seed: 31)
    }

    func testConvNet() throws {
        try check(TestNetworks.convNet(seed: 32), inputShape: [2, 10, 10], seed: 32)
    }

    func testResidualNet() throws {
        try check(TestNetworks.residualNet(seed: 33), inputShape: [1, 8, 8], seed: 33)
    }

    func testNetworkWithoutLinearHead() throws {
        try check(TestNetworks.allConvNet(seed: 34), inputShape: [1, 6, 6], seed: 34)
    }

    func check(_ network: Sequential, inputShape: [Int], seed: UInt64, file: StaticString = #filePath, line: UInt = #line) throws {
        let bounded = try BoundedNetwork(network)
        let x = TestNetworks.images([samples] + inputShape, seed: seed)
        let labels = TestNetworks.predictions(network.forward(x))
        let classes = network.forward(x).dim(1)
        var rng = SplitMix64(seed: seed &+ 7)
        var violations = 0, closest = Double.infinity, crownTighter = 0, rows = 0
        for eps in [Float(0.01), 0.05, 0.2] {
            let ibp = bounded.marginBounds(x: x, labels: labels, eps: eps, method: .ibp, context: testContext)
            let crown = bounded.marginBounds(x: x, labels: labels, eps: eps, method: .crown, context: testContext)
            let bound = zip(ibp.storage, crown.storage).map { max($0, $1) }
            for e in 0..<bound.count where e % classes != labels[e / classes] {
                rows += 1
                if crown.storage[e] > ibp.storage[e] { crownTighter += 1 }
            }
            let size = x.sampleSize
            for s in 0..<samples {
                let (lo, hi) = box(x.row(s), eps)
                var points = [Float]()
                for p in 0..<pointsPerSample {
                    for i in 0..<size {
                        let t = p % 2 == 0 ? Float(rng.nextInt(2)) : rng.nextFloat()
                        points.append(lo[i] + t * (hi[i] - lo[i]))
                    }
                }
                let logits = network.forward(Tensor(shape: [pointsPerSample] + inputShape, storage: points))
                for p in 0..<pointsPerSample {
                    for j in 0..<classes where j != labels[s] {
                        let margin = Double(logits.storage[p * classes + labels[s]] - logits.storage[p * classes + j])
                        let gap = margin - Double(bound[s * classes + j])
                        closest = min(closest, gap)
                        if gap < 0 { violations += 1 }
                    }
                }
            }
            for (s, j, margin) in pgd(network, x, labels: labels, classes: classes, eps: eps) {
                let gap = margin - Double(bound[s * classes + j])
                closest = min(closest, gap)
                if gap < 0 { violations += 1 }
            }
        }
        XCTAssertEqual(violations, 0, "margins found below a certified lower bound", file: file, line: line)
        print("\(name): violations \(violations), smallest margin minus bound \(closest), "
              + "CROWN tighter than IBP on \(crownTighter) of \(rows) rows")
    }

    /// `[max(0, x - eps), min(1, x + eps)]`.
    func box(_ x: ArraySlice<Float>, _ eps: Float) -> ([Float], [Float]) {
        (x.map { max(0, $0 - eps) }, x.map { min(1, $0 + eps) })
    }

    /// Signed-gradient descent on `z_y - z_j` from the centre, projected on the box, for every sample and
    /// class `j != y`: every iterate's margin, as (sample, j, margin).
    func pgd(_ network: Sequential, _ x: Tensor, labels: [Int], classes: Int, eps: Float) -> [(Int, Int, Double)] {
        let pairs = (0..<samples).flatMap { s in (0..<classes).filter { $0 != labels[s] }.map { (s, $0) } }
        var current = x.gathering(pairs.map(\.0))
        let (lo, hi) = box(current.storage[...], eps)
        var found: [(Int, Int, Double)] = []
        for _ in 0...pgdSteps {
            let logits = network.forward(current)
            var dY = Tensor(shape: logits.shape)
            for (r, (s, j)) in pairs.enumerated() {
                found.append((s, j, Double(logits.storage[r * classes + labels[s]] - logits.storage[r * classes + j])))
                dY.storage[r * classes + labels[s]] = 1
                dY.storage[r * classes + j] = -1
            }
            let gradient = network.backward(dY, accumulateParameterGradients: false)
            for i in 0..<current.count {
                let step = gradient.storage[i] > 0 ? -eps / 4 : gradient.storage[i] < 0 ? eps / 4 : 0
                current.storage[i] = min(hi[i], max(lo[i], current.storage[i] + step))
            }
        }
        return found
    }
}
