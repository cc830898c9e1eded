import NN
import XCTest
import _TestSupport

/// Every layer's backward (input and parameter gradients) against central differences.
final class LayerGradientTests: XCTestCase {
    /// Values well away from 0 (|x| >= 0.1 > 2h), so ReLU's kink is never crossed by the probe.
    func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
        var t = randomTensor(shape, seed: seed)
        for i in 0..<t.count { t.storage[i] = t.storage[i] < 0 ? t.storage[i] - 0.1 : t.storage[i] + 0.1 }
        return t
    }

    /// Distinct values 0.05 apart in shuffled order: no ties, and a probe of h = 0.01 never changes a window's maximum.
    func distinctValues(_ shape: [Int], seed: UInt64) -> Tensor {
        let count = shape.reduce(1, *)
        var values = (0..<count).map { Float($0) * 0.05 - Float(count) * 0.025 }
        var rng = SplitMix64(seed: seed)
        values.shuffle(using: &rng)
        return Tensor(shape: shape, storage: values)
    }

    func testLinear() {
        checkGradients(of: Linear(5, 4, seed: 1), input: randomTensor([3, 5], seed: 2))
        checkGradients(of: Linear(6, 3, bias: false, seed: 3), input: randomTensor([1, 6], seed: 4))
    }

    func testReLU() {
        checkGradients(of: ReLU(), input: awayFromZero([2, 3, 4, 5], seed: 5))
    }

    func testMaxPool2d() {
        checkGradients(of: MaxPool2d(kernelSize: 2), input: distinctValues([2, 2, 4, 6], seed: 6))
        checkGradients(of: MaxPool2d(kernelSize: 3, stride: 2, padding: 1), input: distinctValues([1, 2, 5, 7], seed: 7))
    }

    /// The 2x2 fast path with ties and odd sizes: the gradient goes to the first maximum in
    /// row-major order (as PyTorch); the row and column outside every window get none.
    func testMaxPool2dBackwardTiesAndOddSizes() {
        let x = Tensor(shape: [1, 1, 3, 5], storage: [3, 3, 1, 7, 9,
                                                     3, 1, 7, 7, 9,
                                                     5, 5, 5, 5, 5])
        let pool = MaxPool2d(kernelSize: 2)
        XCTAssertEqual(pool.forward(x).storage, [3, 7])
        let dX = pool.backward(Tensor(shape: [1, 1, 1, 2], storage: [10, 20]), accumulateParameterGradients: false)
        XCTAssertEqual(dX.storage, [10, 0, 0, 20, 0,
                                    0, 0, 0, 0, 0,
                                    0, 0, 0, 0, 0])
    }

    /// An empty batch through the 2x2 path, rectifying or not: empty results of the right shapes (its
    /// argmax codes are an empty array, whose buffer need not have an address).
    func testMaxPool2dEmptyBatch() {
        for fuses in [false, true] {
            let pool = MaxPool2d(kernelSize: 2)
            pool.fusesReLU = fuses
            let y = pool.forward(Tensor(shape: [0, 3, 4, 6]))
            XCTAssertEqual(y.shape, [0, 3, 2, 3])
            XCTAssertEqual(pool.backward(Tensor(shape: [0, 3, 2, 3]), accumulateParameterGradients: false).shape, [0, 3, 4, 6])
        }
    }

    /// Small integers (many ties, zeros, negatives) on planes wide enough for the SIMD body plus
    /// a tail (width 22 -> 11 outputs per row = 8 vector + 3 scalar), odd height.
    func tiedValues(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in Float(Int(rng.next() % 7) - 3) })
    }

    /// The 2x2 SIMD path against a naive first-maximum pool, values and gradients exactly.
    func testMaxPool2dSIMDPathMatchesNaive() {
        let (n, c, h, w) = (2, 3, 9, 22)
        let x = tiedValues([n, c, h, w], seed: 11)
        let dY = randomTensor([n, c, h / 2, w / 2], seed: 12)
        var y = [Float](), dX = [Float](repeating: 0, count: x.count)
        for plane in 0..<n * c {
            for oy in 0..<h / 2 {
                for ox in 0..<w / 2 {
                    let at = [(0, 0), (0, 1), (1, 0), (1, 1)].map { (plane * h + 2 * oy + $0) * w + 2 * ox + $1 }
                    let best = at.max { x.storage[$0] < x.storage[$1] || (x.storage[$0] == x.storage[$1] && $0 > $1) }!
                    y.append(x.storage[best])
                    dX[best] += dY.storage[(plane * (h / 2) + oy) * (w / 2) + ox]
                }
            }
        }
        let pool = MaxPool2d(kernelSize: 2)
        XCTAssertEqual(pool.forward(x).storage, y)
        XCTAssertEqual(pool.backward(dY, accumulateParameterGradients: false).storage, dX)
    }

    /// The cnn pools before its ReLUs: the two orders agree bit for bit, values and input gradients, ties and zeros included.
    func testMaxPoolAndReLUCommute() {
        let x = tiedValues([2, 3, 9, 22], seed: 13)
        let dY = randomTensor([2, 3, 4, 11], seed: 14)
        let reluFirst = Sequential(ReLU(), MaxPool2d(kernelSize: 2))
        let poolFirst = Sequential(MaxPool2d(kernelSize: 2), ReLU())
        XCTAssertEqual(reluFirst.forward(x).storage, poolFirst.forward(x).storage)
        XCTAssertEqual(reluFirst.backward(dY, accumulateParameterGradients: false).storage,
                       poolFirst.backward(dY, accumulateParameterGradients: false).storage)
    }

    func testMaxPool2dForward() {
        let x = Tensor(shape: [1, 1, 2, 4], storage: [1, 5, 2, 0, 3, 4, 8, 7])
        XCTAssertEqual(MaxPool2d(kernelSize: 2).forward(x).storage, [5, 8])
    }

    func testAvgPool2d() {
        checkGradients(of: AvgPool2d(kernelSize: 2), input: randomTensor([2, 2, 4, 6], seed: 8))
        checkGradients(of: AvgPool2d(kernelSize: 3, stride: 2, padding: 1), input: randomTensor([1, 2, 5, 7], seed: 9))
        let x = Tensor(shape: [1, 1, 2, 4], storage: [1, 5, 2, 0, 3, 4, 8, 7])
        assertClose(AvgPool2d(kernelSize: 2).forward(x).storage, [13 / 4, 17 / 4])
    }

    func testGlobalAvgPool2d() {
        checkGradients(of: GlobalAvgPool2d(), input: randomTensor([2, 3, 4, 5], seed: 10))
        let x = Tensor(shape: [1, 2, 1, 2], storage: [1, 3, -2, 6])
        XCTAssertEqual(GlobalAvgPool2d().forward(x), Tensor(shape: [1, 2], storage: [2, 2]))
    }

    func testBatchNorm2dTraining() {
        let bn = BatchNorm2d(3)
        bn.isTraining = true
        // Non-trivial gamma and beta, so their gradients and dX's dependence on gamma are exercised.
        bn.weight.value = randomTensor([3], seed: 11)
        bn.bias.value = randomTensor([3], seed: 12)
        checkGradients(of: bn, input: randomTensor([2, 3, 3, 4], seed: 13))
    }

    /// The batch statistics and the training-mode gradient sums, summed plane by plane and image by image,
    /// against a Double reference, at planes of 1, 9 (tail only past one lane group) and 35 values and
    /// 1, 3 and 17 channels; with 3 threads, so images are split unevenly.
    func testBatchNorm2dSumsMatchDoubleReference() {
        let context = ExecutionContext(threads: 3)
        for shape in [[5, 3, 1, 1], [4, 1, 3, 3], [7, 17, 5, 7]] {
            let (n, c, hw) = (shape[0], shape[1], shape[2] * shape[3])
            let bn = BatchNorm2d(c)
            bn.isTraining = true
            let x = randomTensor(shape, seed: 40), dY = randomTensor(shape, seed: 41)
            let y = bn.forward(x, context: context)
            let dX = bn.backward(dY, accumulateParameterGradients: true, context: context)
            let m = Double(n * hw)
            for ch in 0..<c {
                let indices = (0..<n).flatMap { b in (0..<hw).map { (b * c + ch) * hw + $0 } }
                let mean = indices.reduce(0.0) { $0 + Double(x.storage[$1]) } / m
                let variance = indices.reduce(0.0) { $0 + pow(Double(x.storage[$1]) - mean, 2) } / m
                let invStd = 1 / (variance + 1e-5).squareRoot()
                let xHat = indices.map { (Double(x.storage[$0]) - mean) * invStd }
                let sumDY = indices.reduce(0.0) { $0 + Double(dY.storage[$1]) }
                let sumDYxHat = zip(indices, xHat).reduce(0.0) { $0 + Double(dY.storage[$1.0]) * $1.1 }
                XCTAssertEqual(Double(bn.runningMean.value.storage[ch]), 0.1 * mean, accuracy: 1e-6, "\(shape) mean")
                XCTAssertEqual(Double(bn.runningVar.value.storage[ch]), 0.9 + 0.1 * variance * m / (m - 1), accuracy: 1e-6,
                               "\(shape) variance")
                XCTAssertEqual(Double(bn.bias.grad.storage[ch]), sumDY, accuracy: 1e-4, "\(shape) bias gradient")
                XCTAssertEqual(Double(bn.weight.grad.storage[ch]), sumDYxHat, accuracy: 1e-4, "\(shape) weight gradient")
                for (j, i) in indices.enumerated() {
                    XCTAssertEqual(Double(y.storage[i]), xHat[j], accuracy: 1e-5, "\(shape) y")
                    let expected = invStd * (Double(dY.storage[i]) - sumDY / m - xHat[j] * sumDYxHat / m)
                    XCTAssertEqual(Double(dX.storage[i]), expected, accuracy: 1e-4, "\(shape) dX")
                }
            }
        }
    }

    func testBatchNorm2dInference() {
        let bn = BatchNorm2d(3)
        bn.isTraining = false
        bn.weight.value = randomTensor([3], seed: 14)
        bn.bias.value = randomTensor([3], seed: 15)
        bn.runningMean.value = randomTensor([3], seed: 16)
        bn.runningVar.value = Tensor(shape: [3], storage: [0.5, 1.5, 2])
        checkGradients(of: bn, input: randomTensor([2, 3, 3, 2], seed: 17))
    }

    func testFlatten() {
        checkGradients(of: Flatten(), input: randomTensor([2, 3, 2, 2], seed: 18))
    }

    func testNormalize() {
        let layer = Normalize(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
        checkGradients(of: layer, input: randomTensor([2, 3, 3, 3], seed: 19))
        let y = layer.forward(Tensor(shape: [1, 3, 1, 1], storage: [0.4914, 1, 0]))
        assertClose(y.storage, [0, (1 - 0.4822) / 0.2435, -0.4465 / 0.2616])
    }

    func testCrossEntropyGradient() {
        let logits = randomTensor([4, 5], seed: 20).reshaped([4, 5])
        let labels = [0, 3, 4, 3]
        let (_, dLogits) = crossEntropy(logits: logits, labels: labels)
        let numeric = numericGradient(at: logits) { Double(crossEntropy(logits: $0, labels: labels).loss) }
        assertGradientClose(dLogits.storage, numeric, "dLogits")
    }

    func testCrossEntropyValueAndStability() {
        // Two classes, logits (0, ln 3): p = (1/4, 3/4); labels 0 and 1 -> mean(ln 4, ln 4/3).
        let logits = Tensor(shape: [2, 2], storage: [0, Float(log(3.0)), 0, Float(log(3.0))])
        let (loss, dLogits) = crossEntropy(logits: logits, labels: [0, 1])
        XCTAssertEqual(Double(loss), (log(4.0) + log(4.0 / 3.0)) / 2, accuracy: 1e-6)
        assertClose(dLogits.storage, [(0.25 - 1) / 2, 0.75 / 2, 0.25 / 2, (0.75 - 1) / 2])
        // Huge logits: log-sum-exp must not overflow.
        let big = crossEntropy(logits: Tensor(shape: [1, 3], storage: [1000, 0, -1000]), labels: [1])
        XCTAssertEqual(big.loss, 1000, accuracy: 1e-3)
        XCTAssertTrue(big.dLogits.storage.allSatisfy(\.isFinite))
    }

    func testSequential() {
        let model = Sequential(
            Normalize(mean: [0.5, 0.4], std: [0.3, 0.2]),
            Conv2d(2, 3, kernelSize: 3, padding: 1, seed: 21),
            BatchNorm2d(3),
            AvgPool2d(kernelSize: 2),
            Flatten(),
            Linear(3 * 2 * 2, 4, seed: 22)
        )
        model.isTraining = true
        checkGradients(of: model, input: randomTensor([2, 2, 4, 5], seed: 23))
    }

    func testSequentialWithReLU() {
        let model = Sequential(Conv2d(2, 3, kernelSize: 3, padding: 1, seed: 24), ReLU(), GlobalAvgPool2d(), Linear(3, 2, seed: 25))
        checkGradients(of: model, input: randomTensor([2, 2, 4, 4], seed: 26), h: 1e-3)
    }

    func testResidualIdentityShortcut() {
        let block = Residual(main: Sequential(named: [
            ("conv1", Conv2d(3, 3, kernelSize: 3, padding: 1, bias: false, seed: 27)),
            ("bn1", BatchNorm2d(3)),
            ("relu", ReLU()),
            ("conv2", Conv2d(3, 3, kernelSize: 3, padding: 1, bias: false, seed: 28)),
            ("bn2", BatchNorm2d(3)),
        ]))
        block.isTraining = true
        checkGradients(of: block, input: randomTensor([2, 3, 4, 4], seed: 29), h: 1e-3)
    }

    func testResidualProjectionShortcut() {
        let block = Residual(
            main: Sequential(named: [
                ("conv1", Conv2d(2, 4, kernelSize: 3, stride: 2, padding: 1, bias: false, seed: 30)),
                ("bn1", BatchNorm2d(4)),
                ("relu", ReLU()),
                ("conv2", Conv2d(4, 4, kernelSize: 3, padding: 1, bias: false, seed: 31)),
                ("bn2", BatchNorm2d(4)),
            ]),
            shortcut: Sequential(Conv2d(2, 4, kernelSize: 1, stride: 2, bias: false, seed: 32), BatchNorm2d(4)))
        block.isTraining = false  // running statistics: exercises the inference path through a block
        for (_, buffer) in block.namedBuffers() where buffer.name == "running_var" {
            buffer.value = Tensor(shape: buffer.value.shape, storage: [0.7, 1.2, 0.9, 1.4])
        }
        checkGradients(of: block, input: randomTensor([2, 2, 5, 6], seed: 33), h: 1e-3)
    }
}
