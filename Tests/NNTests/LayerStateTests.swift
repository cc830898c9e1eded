import Kernels
import NN
import XCTest
import _TestSupport

/// Parameter naming, mode propagation, opt-in parameter gradients, BatchNorm running statistics,
/// and bit-identical results for 1 and 2 threads.
final class LayerStateTests: XCTestCase {
    func makeNet(seed: UInt64) -> Sequential {
        Sequential(
            Normalize(mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3]),
            Conv2d(3, 4, kernelSize: 3, padding: 1, bias: false, seed: seed),
            BatchNorm2d(4),
            ReLU(),
            Residual(
                main: Sequential(named: [
                    ("conv1", Conv2d(4, 6, kernelSize: 3, stride: 2, padding: 1, bias: false, seed: seed + 1)),
                    ("bn1", BatchNorm2d(6)),
                    ("relu", ReLU()),
                    ("conv2", Conv2d(6, 6, kernelSize: 3, padding: 1, bias: false, seed: seed + 2)),
                    ("bn2", BatchNorm2d(6)),
                ]),
                shortcut: Sequential(Conv2d(4, 6, kernelSize: 1, stride: 2, bias: false, seed: seed + 3), BatchNorm2d(6))),
            MaxPool2d(kernelSize: 2),
            GlobalAvgPool2d(),
            Linear(6, 10, seed: seed + 4)
        )
    }

    func testStateDictNamesFollowPyTorch() {
        let names = makeNet(seed: 1).namedState().map(\.name)
        let bn = { (p: String) in ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"].map { "\(p).\($0)" } }
        let expected = ["1.weight"] + bn("2")
            + ["4.conv1.weight"] + bn("4.bn1") + ["4.conv2.weight"] + bn("4.bn2")
            + ["4.downsample.0.weight"] + bn("4.downsample.1")
            + ["7.weight", "7.bias"]
        XCTAssertEqual(names, expected)
        XCTAssertFalse(makeNet(seed: 1).namedParameters().contains { $0.name.hasSuffix("running_mean") })
        XCTAssertEqual(makeNet(seed: 1).namedBuffers().count, 4 * 3)
    }

    func testTrainingModePropagates() {
        let net = makeNet(seed: 1)
        net.isTraining = true
        let bns = net.namedState().filter { $0.name.hasSuffix("running_mean") }.count
        XCTAssertEqual(bns, 4)
        func allModes(_ layer: any Layer) -> [Bool] {
            [layer.isTraining] + layer.children.flatMap { allModes($0.layer) }
        }
        XCTAssertTrue(allModes(net).allSatisfy { $0 })
        net.isTraining = false
        XCTAssertTrue(allModes(net).allSatisfy { !$0 })
    }

    func testInputOnlyBackwardLeavesGradientsUntouched() {
        let net = makeNet(seed: 2)
        net.isTraining = true
        let sentinel: Float = 7.25
        for (_, p) in net.namedParameters() { p.grad = Tensor(shape: p.value.shape, repeating: sentinel) }
        let x = randomTensor([3, 3, 8, 6], seed: 3)
        let y = net.forward(x)
        let buffers = net.namedBuffers().map(\.parameter.value)
        let dX = net.backward(randomTensor(y.shape, seed: 4), accumulateParameterGradients: false)
        XCTAssertEqual(dX.shape, x.shape)
        for (name, p) in net.namedParameters() {
            XCTAssertTrue(p.grad.storage.allSatisfy { $0 == sentinel }, "\(name).grad was touched")
        }
        XCTAssertEqual(net.namedBuffers().map(\.parameter.value), buffers, "backward changed a buffer")
    }

    /// Forward, dX and every parameter gradient bit-identical with 1 and 2 threads (batch 19: uneven chunks).
    /// A training step's backward stops at the first layer with parameters and skips its input
    /// gradient: every parameter gradient must be bit for bit the full backward's. Networks whose
    /// first parameters are a convolution (with a fused ReLU), a BatchNorm, a Linear, and none at all.
    func testParameterGradientsWithoutTheInputGradientMatchFullBackward() {
        let fused = Conv2d(3, 5, kernelSize: 3, padding: 1, seed: 7)
        fused.fusesReLU = true
        let networks: [(String, () -> Sequential, [Int])] = [
            ("conv first", { self.makeNet(seed: 3) }, [5, 3, 9, 7]),
            ("fused ReLU", { Sequential(ReLU(), fused, MaxPool2d(kernelSize: 2), Flatten(), Linear(5 * 4 * 3, 4, seed: 8)) }, [3, 3, 8, 7]),
            ("BatchNorm first", { Sequential(Normalize(mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3]), BatchNorm2d(3), Flatten(), Linear(27, 2, seed: 9)) }, [4, 3, 3, 3]),
            ("Linear first", { Sequential(Flatten(), Linear(12, 7, seed: 10), ReLU(), Linear(7, 3, seed: 11)) }, [6, 3, 2, 2]),
            ("no parameters", { Sequential(ReLU(), Flatten()) }, [2, 3, 2, 2]),
        ]
        for (name, make, shape) in networks {
            let x = Tensor(shape: shape, storage: randomArray(shape.reduce(1, *), seed: 21))
            var gradients: [[[Float]]] = []
            for partial in [false, true] {
                let net = make()
                net.isTraining = true
                net.zeroGrad()
                let y = net.forward(x)
                let dY = Tensor(shape: y.shape, storage: randomArray(y.count, seed: 22))
                if partial {
                    net.accumulateParameterGradients(dY, context: testContext)
                } else {
                    _ = net.backward(dY, accumulateParameterGradients: true)
                }
                gradients.append(net.namedParameters().map { $0.parameter.grad.storage })
            }
            for (i, (full, partial)) in zip(gradients[0], gradients[1]).enumerated() {
                XCTAssertTrue(full == partial, "\(name): parameter \(i) differs")
            }
            XCTAssertTrue(name == "no parameters" || gradients[0].contains { $0.contains { $0 != 0 } }, "\(name): no gradient at all")
        }
    }

    func testBitIdenticalForOneAndTwoThreads() {
        let x = randomTensor([19, 3, 9, 7], seed: 5)
        var results: [(Tensor, Tensor, [Tensor])] = []
        for threads in [1, 2] {
            let context = ExecutionContext(threads: threads)
            let net = makeNet(seed: 6)
            net.isTraining = true
            let y = net.forward(x, context: context)
            let (_, dLogits) = crossEntropy(logits: y, labels: (0..<19).map { $0 % 10 })
            let dX = net.backward(dLogits, accumulateParameterGradients: true, context: context)
            results.append((y, dX, net.namedState().map { $0.parameter.kind == .parameter ? $0.parameter.grad : $0.parameter.value }))
        }
        XCTAssertEqual(results[0].0.storage, results[1].0.storage, "forward differs")
        XCTAssertEqual(results[0].1.storage, results[1].1.storage, "dX differs")
        XCTAssertEqual(results[0].2, results[1].2, "parameter gradients or buffers differ")
    }

    /// After one training step: running_mean = 0.9*0 + 0.1*mean, running_var = 0.9*1 + 0.1*unbiased var,
    /// while the output is normalised with the biased variance.
    func testBatchNormRunningStatisticsAfterOneStep() {
        let bn = BatchNorm2d(2)
        bn.isTraining = true
        // [N=2, C=2, H=1, W=2]: channel 0 holds 1, 2, 3, 4; channel 1 holds 0, 0, 2, 6.
        let x = Tensor(shape: [2, 2, 1, 2], storage: [1, 2, 0, 0, 3, 4, 2, 6])
        let y = bn.forward(x)
        // Channel 0: mean 2.5, biased var 1.25, unbiased var 5/3. Channel 1: mean 2, biased var 6, unbiased var 8.
        assertClose(bn.runningMean.value.storage, [0.25, 0.2])
        assertClose(bn.runningVar.value.storage, [0.9 + 0.1 * 5 / 3, 0.9 + 0.1 * 8])
        XCTAssertEqual(bn.numBatchesTracked.value.storage, [1])
        let s0 = 1 / (1.25 + 1e-5).squareRoot(), s1 = 1 / (6 + 1e-5).squareRoot()
        let expected: [Float] = [-1.5 * s0, -0.5 * s0, -2 * s1, -2 * s1, 0.5 * s0, 1.5 * s0, 0, 4 * s1].map { Float($0) }
        assertClose(y.storage, expected)

        // Inference uses the running statistics.
        bn.isTraining = false
        let yEval = bn.forward(Tensor(shape: [1, 2, 1, 1], storage: [1.25, 0.2]))
        assertClose(yEval.storage, [Float(1 / (0.9 + 0.5 / 3 + 1e-5).squareRoot()), 0])
        XCTAssertEqual(bn.numBatchesTracked.value.storage, [1])
    }
}
