import Certify
import Foundation
import Kernels
import NN
import XCTest
import _TestSupport

/// Certified training's loss: its value against the sound IBP margins, its gradient against finite differences,
/// and the layers it refuses.
final class IntervalTrainingTests: XCTestCase {
    /// `[N, 1, 6, 6]` -> 4 classes in the cnn's order: Normalize, conv, 2x2 max-pool, ReLU, conv (stride 2),
    /// ReLU, Flatten, Linear, ReLU, Linear.
    func makeNetwork(seed: UInt64) -> Sequential {
        Sequential([
            Normalize(mean: [0.4], std: [0.3]),
            Conv2d(1, 3, kernelSize: 3, padding: 1, seed: seed),
            MaxPool2d(kernelSize: 2),
            ReLU(),
            Conv2d(3, 4, kernelSize: 3, stride: 2, padding: 1, seed: seed &+ 1),
            ReLU(),
            Flatten(),
            Linear(16, 7, seed: seed &+ 2),
            ReLU(),
            Linear(7, 4, seed: seed &+ 3),
        ])
    }

    /// `mean_s logsumexp(-m_s)` with `m_y = 0`: the loss from margins `[N, K]` (`+infinity` at the label).
    func lossFromMargins(_ margins: Tensor, labels: [Int]) -> Double {
        let k = margins.dim(1)
        var total = 0.0
        for (s, y) in labels.enumerated() {
            let z = (0..<k).map { $0 == y ? 0 : -Double(margins.storage[s * k + $0]) }
            let top = z.max()!
            total += top + log(z.map { exp($0 - top) }.reduce(0, +))
        }
        return total / Double(labels.count)
    }

    /// The loss is the cross-entropy of IBP's elided margins: the same bounds `BoundedNetwork` proves sound,
    /// up to its outward rounding (about 1e-6 of the terms), and the verified count is theirs.
    func testLossIsCrossEntropyOfTheIBPMargins() throws {
        for seed: UInt64 in [1, 2, 3] {
            let network = makeNetwork(seed: seed)
            let x = TestNetworks.images([5, 1, 6, 6], seed: seed &+ 10)
            let labels = [0, 1, 2, 3, 1]
            for eps: Float in [0, 0.01, 0.05] {
                let (loss, verified) = IntervalTraining(network).lossAndBackward(x: x, labels: labels, eps: eps, weight: 1, context: testContext)
                let margins = try BoundedNetwork(network).marginBounds(x: x, labels: labels, eps: eps, method: .ibp, context: testContext)
                let reference = lossFromMargins(margins, labels: labels)
                XCTAssertEqual(Double(loss), reference, accuracy: 1e-4 * max(1, abs(reference)), "seed \(seed) eps \(eps)")
                let certified = try BoundedNetwork(network).certify(x: x, labels: labels, eps: eps, methods: [.ibp], context: testContext)
                XCTAssertEqual(verified, certified.certified.filter { $0 }.count, "seed \(seed) eps \(eps)")
            }
        }
    }

    /// Every parameter's gradient (weights of the centre and the |W| path, biases, the elided head) matches
    /// central differences of the loss, and `weight` scales it. Kinks (a bound crossing 0 at a ReLU, a max-pool
    /// winner changing) are skipped by the half-step probe of `assertGradientClose`.
    func testGradientMatchesFiniteDifferences() {
        for seed: UInt64 in [4, 5] {
            let network = makeNetwork(seed: seed)
            let x = TestNetworks.images([3, 1, 6, 6], seed: seed &+ 20)
            let labels = [2, 0, 3]
            let eps: Float = 0.03, weight: Float = 0.7
            let training = IntervalTraining(network)
            network.zeroGrad()
            _ = training.lossAndBackward(x: x, labels: labels, eps: eps, weight: weight, context: testContext)
            let analytic = network.namedParameters().map { ($0.name, $0.parameter.grad.storage) }
            func loss() -> Double {
                let value = Double(training.lossAndBackward(x: x, labels: labels, eps: eps, weight: weight, context: testContext).loss)
                network.zeroGrad()
                return Double(weight) * value
            }
            for (index, entry) in network.namedParameters().enumerated() {
                let parameter = entry.parameter
                func derivative(_ i: Int, h: Float) -> Double {
                    numericDerivative(at: parameter.value, index: i, h: h) { probe in
                        let saved = parameter.value
                        parameter.value = probe
                        defer { parameter.value = saved }
                        return loss()
                    }
                }
                let numeric = (0..<parameter.value.count).map { derivative($0, h: 1e-3) }
                assertGradientClose(analytic[index].1, numeric, "seed \(seed) \(entry.name)",
                                    halfStep: { derivative($0, h: 5e-4) })
            }
        }
    }

    /// At eps = 0 the bounds collapse to the network's output: the margins are the logit differences and the
    /// loss is the clean cross-entropy; a sample is verified exactly when it is classified correctly.
    func testZeroRadiusIsTheCleanLoss() {
        let network = makeNetwork(seed: 7)
        let x = TestNetworks.images([6, 1, 6, 6], seed: 70)
        let labels = [0, 1, 2, 3, 0, 1]
        let (loss, verified) = IntervalTraining(network).lossAndBackward(x: x, labels: labels, eps: 0, weight: 1, context: testContext)
        let logits = network.forward(x)
        XCTAssertEqual(loss, crossEntropy(logits: logits, labels: labels).loss, accuracy: 1e-5)
        XCTAssertEqual(verified, zip(TestNetworks.predictions(logits), labels).filter { $0 == $1 }.count)
    }

    /// Loss, verified count and every gradient are bit-identical with 1 and 3 threads (training is reproducible).
    func testThreadCountChangesNoBit() {
        let x = TestNetworks.images([7, 1, 6, 6], seed: 90)
        let labels = [0, 1, 2, 3, 0, 1, 2]
        var runs: [(Float, Int, [Float])] = []
        for threads in [1, 3] {
            let network = makeNetwork(seed: 9)
            let (loss, verified) = IntervalTraining(network).lossAndBackward(x: x, labels: labels, eps: 0.02, weight: 0.5,
                                                                               context: ExecutionContext(threads: threads))
            runs.append((loss, verified, network.namedParameters().flatMap { $0.parameter.grad.storage }))
        }
        XCTAssertEqual(runs[0].0, runs[1].0)
        XCTAssertEqual(runs[0].1, runs[1].1)
        XCTAssertEqual(runs[0].2, runs[1].2)
    }

    /// BatchNorm, residual blocks and a head other than Linear are named, so `robust train` can say which.
    func testUnsupportedLayersAreNamed() {
        XCTAssertEqual(IntervalTraining.unsupportedLayers(in: makeNetwork(seed: 1)), [])
        XCTAssertEqual(IntervalTraining.unsupportedLayers(in: TestNetworks.mlp(4, [3], 2, seed: 1)), [])
        let convNet = IntervalTraining.unsupportedLayers(in: TestNetworks.convNet(seed: 1))
        XCTAssertTrue(convNet.contains("BatchNorm2d") && convNet.contains("AvgPool2d"), "\(convNet)")
        let residual = IntervalTraining.unsupportedLayers(in: TestNetworks.residualNet(seed: 1))
        XCTAssertTrue(residual.contains("Residual"), "\(residual)")
        XCTAssertTrue(IntervalTraining.unsupportedLayers(in: TestNetworks.allConvNet(seed: 1)).contains("a last layer other than Linear"))
    }
}
