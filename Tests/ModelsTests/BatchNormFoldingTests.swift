import Kernels
import Models
import NN
import Workflow
import XCTest
import _TestSupport

/// `foldingBatchNorms`: the folded network computes the stored one's logits and input gradients up
/// to float rounding, has no BatchNorm left where a convolution precedes it, and leaves the stored
/// network as it was.
final class BatchNormFoldingTests: XCTestCase {
    /// A resnet-lite whose BatchNorms carry non-trivial statistics and affine parameters.
    func model() throws -> Model {
        let model = try Model(architecture: "resnet-lite", dataset: "fashion-mnist", inputShape: .fashionMNIST,
                              classNames: (0..<10).map(String.init), seed: 5)
        var rng = SplitMix64(seed: 11)
        for (name, parameter) in model.network.namedState() where name.contains("bn") || name.contains("downsample.1") {
            guard parameter.value.rank == 1 else { continue }
            let values = (0..<parameter.value.count).map { _ -> Float in
                let u = rng.nextFloat()
                if name.hasSuffix("running_var") { return 0.2 + 2 * u }
                if name.hasSuffix("weight") { return 0.5 + u }
                return u - 0.5
            }
            parameter.value = Tensor(shape: parameter.value.shape, storage: values)
        }
        return model
    }

    func layers(_ layer: any Layer) -> [any Layer] {
        [layer] + layer.children.flatMap { layers($0.layer) }
    }

    func testFoldedResNetMatchesStoredLogitsAndInputGradients() throws {
        let model = try model()
        let stored = model.replicaNetwork()
        let folded = foldingBatchNorms(model.replicaNetwork())
        XCTAssertEqual(layers(stored).filter { $0 is BatchNorm2d }.count, 15)
        XCTAssertEqual(layers(folded).filter { $0 is BatchNorm2d }.count, 0, "every BatchNorm follows a convolution")
        let x = randomTensor([5, 1, 28, 28], seed: 3).storage.map { abs($0) }
        let input = Tensor(shape: [5, 1, 28, 28], storage: x)
        let zStored = stored.forward(input), zFolded = folded.forward(input)
        assertClose(zFolded, zStored, rtol: 1e-5, atol: 1e-5, "logits")
        let dY = randomTensor(zStored.shape, seed: 4)
        let dXStored = stored.backward(dY, accumulateParameterGradients: false)
        let dXFolded = folded.backward(dY, accumulateParameterGradients: false)
        assertClose(dXFolded, dXStored, rtol: 1e-4, atol: 1e-6, "input gradient")
        // The stored network keeps its own layers and weights.
        XCTAssertEqual(layers(model.network).filter { $0 is BatchNorm2d }.count, 15)
        assertClose(model.network.forward(input), zStored, rtol: 0, atol: 0, "stored network unchanged")
    }

    func testFoldingIsTheAffineMapOfTheNormalisation() {
        let conv = Conv2d(3, 4, kernelSize: 3, padding: 1, bias: true, seed: 1)
        let bn = BatchNorm2d(4, eps: 1e-3)
        bn.weight.value = Tensor(shape: [4], storage: [0.5, -2, 1, 3])
        bn.bias.value = Tensor(shape: [4], storage: [0.1, 0.2, -0.3, 0])
        bn.runningMean.value = Tensor(shape: [4], storage: [1, -1, 0.5, 0])
        bn.runningVar.value = Tensor(shape: [4], storage: [0.25, 4, 1, 0.01])
        let folded = foldingBatchNorms(Sequential(conv, bn, ReLU())) as! Sequential
        XCTAssertEqual(folded.layers.count, 1, "the BatchNorm folded, the ReLU fused")
        let merged = folded.layers[0] as! Conv2d
        XCTAssertTrue(merged.fusesReLU)
        XCTAssertFalse(conv.fusesReLU, "the given network's layers are not changed")
        for o in 0..<4 {
            let s = Double(bn.weight.value.storage[o]) / (Double(bn.runningVar.value.storage[o]) + Double(bn.eps)).squareRoot()
            for t in 0..<27 {
                XCTAssertEqual(merged.weight.value.storage[o * 27 + t], Float(Double(conv.weight.value.storage[o * 27 + t]) * s))
            }
            let b = (Double(conv.bias!.value.storage[o]) - Double(bn.runningMean.value.storage[o])) * s + Double(bn.bias.value.storage[o])
            XCTAssertEqual(merged.bias!.value.storage[o], Float(b))
        }
        // A BatchNorm with nothing to fold into stays.
        let lone = foldingBatchNorms(Sequential(ReLU(), BatchNorm2d(4))) as! Sequential
        XCTAssertTrue(lone.layers[1] is BatchNorm2d)
    }

    /// A convolution with its ReLU fused gives the bits of the convolution then the ReLU layer,
    /// forward and backward, with and without a bias and with weight gradients, on every input-gradient
    /// path: W^T dY folded (3 channels), the transposed convolution (16, 9), phases (stride 2), and
    /// a transposed padding of 0 (kernel 3, padding 2), which the convolution runs packed.
    func testFusedReLUIsBitIdenticalToTheTwoLayers() {
        let cases: [(channels: Int, bias: Bool, stride: Int, padding: Int)] = [
            (3, true, 1, 1), (16, false, 1, 1), (9, true, 1, 1), (16, true, 2, 1), (5, false, 2, 0), (10, true, 1, 2),
        ]
        for (index, c) in cases.enumerated() {
            let conv = Conv2d(c.channels, 8, kernelSize: 3, stride: c.stride, padding: c.padding, bias: c.bias, seed: UInt64(index))
            let pair = Sequential(conv, ReLU())
            let fused = foldingBatchNorms(pair) as! Sequential
            XCTAssertEqual(fused.layers.count, 1)
            let x = randomTensor([4, c.channels, 9, 7], seed: UInt64(10 + index))
            let y = pair.forward(x), yFused = fused.forward(x)
            XCTAssertEqual(yFused.storage, y.storage, "case \(c)")
            XCTAssertTrue(y.storage.contains(0) && y.storage.contains { $0 > 0 }, "the ReLU cuts somewhere")
            let dY = randomTensor(y.shape, seed: UInt64(20 + index))
            XCTAssertEqual(fused.backward(dY, accumulateParameterGradients: false).storage,
                           pair.backward(dY, accumulateParameterGradients: false).storage, "case \(c)")
            let fusedConv = fused.layers[0] as! Conv2d
            XCTAssertEqual(fused.backward(dY, accumulateParameterGradients: true).storage,
                           pair.backward(dY, accumulateParameterGradients: true).storage, "case \(c)")
            XCTAssertEqual(fusedConv.weight.grad.storage, conv.weight.grad.storage, "case \(c)")
        }
    }

    /// A max-pool with its ReLU fused (the cnn's order) gives the bits of the two layers, 2x2 and a
    /// general window, forward and backward.
    func testFusedPoolReLUIsBitIdenticalToTheTwoLayers() {
        for (index, pool) in [(2, 2, 0), (3, 2, 1)].enumerated() {
            let pair = Sequential(MaxPool2d(kernelSize: pool.0, stride: pool.1, padding: pool.2), ReLU())
            let fused = foldingBatchNorms(pair) as! Sequential
            XCTAssertEqual(fused.layers.count, 1)
            XCTAssertTrue((fused.layers[0] as! MaxPool2d).fusesReLU)
            let x = randomTensor([3, 4, 9, 8], seed: UInt64(30 + index))
            let y = pair.forward(x), yFused = fused.forward(x)
            XCTAssertEqual(yFused.storage, y.storage)
            let dY = randomTensor(y.shape, seed: UInt64(40 + index))
            XCTAssertEqual(fused.backward(dY, accumulateParameterGradients: false).storage,
                           pair.backward(dY, accumulateParameterGradients: false).storage)
        }
    }

    /// `fusingReLUs: false` (what `robust bench fusion` times against) keeps every ReLU a layer and
    /// computes the same bits; `measurePaired` runs each body once per pair after a warm-up.
    func testFoldWithoutReLUFusionKeepsTheLayersAndTheBits() throws {
        let model = try model()
        let fused = foldingBatchNorms(model.replicaNetwork()), separate = foldingBatchNorms(model.replicaNetwork(), fusingReLUs: false)
        XCTAssertEqual(layers(separate).filter { $0 is ReLU }.count, 7)
        XCTAssertFalse(layers(separate).contains { ($0 as? Conv2d)?.fusesReLU == true })
        XCTAssertFalse(layers(separate).contains { $0 is BatchNorm2d })
        let x = Tensor(shape: [2, 1, 28, 28], storage: randomArray(2 * 784, seed: 3))
        let z = fused.forward(x)
        XCTAssertEqual(separate.forward(x).storage, z.storage)
        let dZ = randomTensor(z.shape, seed: 4)
        XCTAssertEqual(separate.backward(dZ, accumulateParameterGradients: false).storage,
                       fused.backward(dZ, accumulateParameterGradients: false).storage)
        var calls = (0, 0)
        let ratios = measurePaired(pairs: 5, { calls.0 += 1 }, { calls.1 += 1 })
        XCTAssertEqual(ratios.count, 5)
        XCTAssertEqual(calls.0, 6, "a warm-up and one per pair")
        XCTAssertEqual(calls.1, 6)
    }
}
