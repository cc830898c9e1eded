import Kernels
import NN
import XCTest
import _TestSupport

/// DP-SGD's per-sample clipping (`PerSampleGradients`) against the naive method: each sample forward and
/// backward alone, its gradient clipped, the clipped gradients summed (in Double).
///
/// Tolerance: relative 1e-5 of the whole gradient vector (||actual - naive|| / ||naive||), and elementwise
/// 1e-5 relative plus 1e-5 of the largest element: the batch and one-sample runs take the same Float GEMMs
/// with other shapes, so they differ by a few roundings of sums of at most a few hundred terms.
final class PerSampleGradientTests: XCTestCase {
    /// A small cnn-like chain with awkward sizes: strided padded conv, a conv with small im2col chunks, max-pool,
    /// a 1x1 conv without bias (the identity im2col path), a nested Sequential head of two Linears.
    func makeNetwork(seed: UInt64) -> Sequential {
        let chunked = Conv2d(5, 6, kernelSize: 3, padding: 1, seed: seed + 1)
        chunked.im2colChunkColumns = 7
        return Sequential(
            Conv2d(3, 5, kernelSize: 3, stride: 2, padding: 1, seed: seed),  // 11x9 -> 6x5
            ReLU(),
            chunked,                                                        // 6x5
            MaxPool2d(kernelSize: 2),                                       // 3x2
            ReLU(),
            Conv2d(6, 4, kernelSize: 1, bias: false, seed: seed + 2),       // 4x3x2
            Flatten(),
            Sequential(Linear(24, 7, seed: seed + 3), ReLU(), Linear(7, 4, seed: seed + 4))
        )
    }

    let n = 7
    let labels = [0, 3, 1, 2, 3, 0, 2]
    var x: Tensor { randomTensor([n, 3, 11, 9], seed: 42) }

    /// Every parameter's gradient, concatenated in `namedParameters` order.
    func gradients(_ network: any Layer) -> [Double] {
        network.namedParameters().flatMap { $0.parameter.grad.storage.map(Double.init) }
    }

    /// The naive per-sample gradients: one forward and backward per sample.
    func naivePerSampleGradients(_ network: any Layer) -> [[Double]] {
        let d = x.count / n
        return (0..<n).map { i in
            let xi = Tensor(shape: [1, 3, 11, 9], storage: Array(x.storage[i * d..<(i + 1) * d]))
            network.zeroGrad()
            let logits = network.forward(xi, context: .serial())
            let (_, dLogits) = crossEntropy(logits: logits, labels: [labels[i]])
            _ = network.backward(dLogits, accumulateParameterGradients: true, context: .serial())
            return gradients(network)
        }
    }

    /// Per-sample loss gradients of the batch (row i = dL_i/dlogits_i), after a batch forward.
    func perSampleLossGradients(_ network: any Layer, context: ExecutionContext) -> Tensor {
        let logits = network.forward(x, context: context)
        var (_, dLogits) = crossEntropy(logits: logits, labels: labels)
        for j in dLogits.storage.indices { dLogits.storage[j] *= Float(n) }
        return dLogits
    }

    func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    func testNormsEqualNaivePerSampleGradientNorms() throws {
        let network = makeNetwork(seed: 3)
        let naive = naivePerSampleGradients(network).map(norm)
        let clipping = try PerSampleGradients(network)
        for threads in [1, 2] {
            let context = ExecutionContext(threads: threads)
            let squared = clipping.squaredNorms(dOutput: perSampleLossGradients(network, context: context), context: context)
            for i in 0..<n {
                XCTAssertEqual(squared[i].squareRoot(), naive[i], accuracy: 1e-5 * naive[i], "sample \(i), \(threads) threads")
            }
        }
        XCTAssertEqual(Set(naive.map { ($0 * 1e4).rounded() }).count, n, "the samples' norms differ: the test can tell them apart")
    }

    func testClippedSumEqualsNaiveClipAndSum() throws {
        let network = makeNetwork(seed: 3)
        let perSample = naivePerSampleGradients(network)
        let norms = perSample.map(norm).sorted()
        // A bound between the norms (some samples clipped, some not), one below all and one above all.
        for maxNorm in [Float(norms[n / 2]) * 0.99, Float(norms[0]) / 3, Float(norms[n - 1]) * 2] {
            var expected = [Double](repeating: 0, count: perSample[0].count)
            var clipped = 0
            for g in perSample {
                let c = min(1, Double(maxNorm) / (norm(g) + 1e-6))
                if c < 1 { clipped += 1 }
                for j in g.indices { expected[j] += c * g[j] }
            }
            network.zeroGrad()
            let context = ExecutionContext(threads: 2)
            try PerSampleGradients(network).accumulateClippedSum(dOutput: perSampleLossGradients(network, context: context),
                                                                 maxNorm: maxNorm, context: context)
            let actual = gradients(network)
            let difference = norm(zip(actual, expected).map { $0 - $1 })
            XCTAssertLessThan(difference / norm(expected), 1e-5, "C \(maxNorm), \(clipped) of \(n) clipped")
            let scale = Float(expected.map(abs).max()!)
            assertClose(actual.map(Float.init), expected.map(Float.init), rtol: 1e-5, atol: 1e-5 * scale, "C \(maxNorm)")
            if maxNorm < Float(norms[n - 1]) { XCTAssertGreaterThan(clipped, 0) }
            if maxNorm > Float(norms[0]) { XCTAssertLessThan(clipped, n) }
        }
    }

    func testClipFactorsAreOpacusFormula() {
        let factors = PerSampleGradients.clipFactors(squaredNorms: [0, 0.25, 4, 16], maxNorm: 1)
        XCTAssertEqual(factors[0], 1)
        XCTAssertEqual(factors[1], 1, "norm 0.5 below C is not scaled up")
        XCTAssertEqual(factors[2], Float(1 / (2 + 1e-6)), accuracy: 1e-7)
        XCTAssertEqual(factors[3], Float(1 / (4 + 1e-6)), accuracy: 1e-7)
    }

    func testLayersThatMixSamplesAreRefused() {
        let network = Sequential(Conv2d(1, 2, kernelSize: 3, seed: 1), BatchNorm2d(2), ReLU(), Flatten(), Linear(8, 2, seed: 2))
        XCTAssertEqual(PerSampleGradients.unsupportedLayers(in: network), ["BatchNorm2d"])
        XCTAssertThrowsError(try PerSampleGradients(network)) { error in
            XCTAssertTrue("\(error)".contains("BatchNorm2d mixes the samples of a batch"), "\(error)")
        }
        XCTAssertEqual(PerSampleGradients.unsupportedLayers(in: makeNetwork(seed: 1)), [])
    }
}
