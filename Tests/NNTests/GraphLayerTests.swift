import Foundation
import NN
import XCTest
import _TestSupport

/// The layers the ONNX importer builds graphs from: forward against naive references (Double
/// arithmetic, index loops written out), backward by central differences.
///
/// Tolerances: `XCTAssertEqual` where the layer only moves values (pad, reshape, transpose) or
/// does one Float operation per element (a Double result of two Floats' `+ - * /` rounded to
/// Float is the correctly rounded Float result: 53 >= 2 * 24 + 2 bits makes double rounding
/// harmless); `assertClose`'s defaults (explained in `Tolerance`) for sums; 1e-6 relative for
/// `exp`/`tanh`, a few Float ulps (1.2e-7 each).
final class GraphLayerTests: XCTestCase {
    // MARK: Helpers

    /// Uniform values with `margin <= |x| < margin + 1`: away from ReLU-like kinks and from zero divisors.
    func awayFromZero(_ shape: [Int], margin: Float, seed: UInt64) -> Tensor {
        var t = randomTensor(shape, seed: seed)
        for i in 0..<t.count { t.storage[i] += t.storage[i] < 0 ? -margin : margin }
        return t
    }

    /// Uniform values in [-scale, scale).
    func scaledRandomTensor(_ shape: [Int], scale: Float, seed: UInt64) -> Tensor {
        Tensor(shape: shape, storage: randomArray(shape.reduce(1, *), seed: seed).map { $0 * scale })
    }

    /// 0, 1, 2, ...: every element distinct, so a value in the wrong place is always seen.
    func iota(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map(Float.init))
    }

    /// The row-major multi-index of flat index `flat` in `shape`.
    func multiIndex(_ flat: Int, _ shape: [Int]) -> [Int] {
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for d in shape.indices.reversed() {
            index[d] = rest % shape[d]
            rest /= shape[d]
        }
        return index
    }

    /// The flat index of `index` in `shape`; an index of higher rank is aligned on the right
    /// (leading dimensions dropped) and a dimension of size 1 is read at 0: NumPy's broadcast read.
    func broadcastRead(_ index: [Int], _ shape: [Int]) -> Int {
        let offset = index.count - shape.count
        var flat = 0
        for d in shape.indices { flat = flat * shape[d] + (shape[d] == 1 ? 0 : index[offset + d]) }
        return flat
    }

    func reference(_ op: BinaryOperator) -> (Double, Double) -> Double {
        switch op {
        case .add: return (+)
        case .sub: return (-)
        case .mul: return (*)
        case .div: return (/)
        }
    }

    /// `op(a, b)` broadcast to `shape` (given by the test, not computed), in Double, rounded once.
    func naiveBroadcast(_ op: BinaryOperator, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor {
        let f = reference(op)
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, storage: (0..<count).map { flat in
            let index = multiIndex(flat, shape)
            return Float(f(Double(a.storage[broadcastRead(index, a.shape)]), Double(b.storage[broadcastRead(index, b.shape)])))
        })
    }

    /// Shape pairs and their broadcast: batch-and-channel, trailing vector, scalar on either side,
    /// both operands stretched ([2,1,4,1] vs [3,1,5]), first operand stretched, equal shapes.
    let broadcastCases: [(a: [Int], b: [Int], out: [Int])] = [
        ([2, 3, 4, 5], [1, 3, 1, 1], [2, 3, 4, 5]),
        ([2, 3, 4, 5], [5], [2, 3, 4, 5]),
        ([2, 3, 4, 5], [], [2, 3, 4, 5]),
        ([], [2, 3, 4, 5], [2, 3, 4, 5]),
        ([2, 1, 4, 1], [3, 1, 5], [2, 3, 4, 5]),
        ([3, 1, 5], [2, 1, 4, 1], [2, 3, 4, 5]),
        ([1, 3, 1, 1], [2, 3, 4, 5], [2, 3, 4, 5]),
        ([3, 1], [1, 4], [3, 4]),
        ([2, 3], [2, 3], [2, 3]),
        ([], [], []),
    ]

    // MARK: Activations

    func testLeakyReLUForwardAndBackward() {
        for alpha: Float in [0.01, 0.2] {
            var x = randomTensor([2, 3, 4, 5], seed: 1)
            x.storage[7] = 0
            let y = LeakyReLU(alpha: alpha).forward(x)
            XCTAssertEqual(y, Tensor(shape: x.shape, storage: x.storage.map { $0 >= 0 ? $0 : Float(Double(alpha) * Double($0)) }))
            checkGradients(of: LeakyReLU(alpha: alpha), input: awayFromZero([2, 3, 4, 5], margin: 0.1, seed: 2))
        }
        // The gradient at exactly 0 is 1, as PyTorch's.
        let layer = LeakyReLU(alpha: 0.2)
        _ = layer.forward(Tensor(shape: [3], storage: [-1, 0, 1]))
        XCTAssertEqual(layer.backward(Tensor(shape: [3], storage: [5, 5, 5]), accumulateParameterGradients: false).storage, [1, 5, 5])
    }

    /// Values where a one-formula sigmoid breaks: exp(-x) overflows Float for x < -88.7, so
    /// `exp(x) / (1 + exp(x))` gives inf/inf = NaN for large positive x.
    let extremes: [Float] = [-.greatestFiniteMagnitude, -1000, -200, -104, -89, -88, -20, -1e-3, 0,
                             1e-3, 20, 88, 89, 200, 1000, .greatestFiniteMagnitude]

    func testSigmoidForwardAgainstDoubleIncludingLargeMagnitudes() {
        let x = Tensor(shape: [extremes.count + 60],
                       storage: extremes + randomArray(60, seed: 3).map { $0 * 8 })
        let layer = Sigmoid()
        let y = layer.forward(x)
        XCTAssertTrue(y.storage.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 }, "\(y.storage)")
        // Below Float's smallest normal (exp(-100) is subnormal) only the absolute error is meaningful.
        assertClose(y.storage, x.storage.map { Float(1 / (1 + exp(-Double($0)))) }, rtol: 1e-6, atol: .leastNormalMagnitude)
        XCTAssertEqual(y.storage[extremes.firstIndex(of: 0)!], 0.5)
        XCTAssertEqual(y.storage[extremes.firstIndex(of: 1000)!], 1)
        XCTAssertEqual(y.storage[extremes.firstIndex(of: -1000)!], 0)
        // Saturated: the gradient is finite and vanishes, never NaN.
        let dX = layer.backward(Tensor(shape: x.shape, repeating: 1), accumulateParameterGradients: false)
        XCTAssertTrue(dX.storage.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 0.25 }, "\(dX.storage)")
        XCTAssertEqual(dX.storage[extremes.firstIndex(of: 1000)!], 0)
        XCTAssertEqual(dX.storage[extremes.firstIndex(of: -1000)!], 0)
    }

    func testSigmoidGradient() {
        checkGradients(of: Sigmoid(), input: scaledRandomTensor([2, 3, 4, 5], scale: 4, seed: 4))
    }

    func testTanhForwardAndGradient() {
        let x = Tensor(shape: [extremes.count + 60], storage: extremes + randomArray(60, seed: 5).map { $0 * 3 })
        let y = Tanh().forward(x)
        XCTAssertTrue(y.storage.allSatisfy { $0.isFinite && abs($0) <= 1 }, "\(y.storage)")
        assertClose(y.storage, x.storage.map { Float(tanh(Double($0))) }, rtol: 1e-6, atol: .leastNormalMagnitude)
        checkGradients(of: Tanh(), input: scaledRandomTensor([2, 3, 4, 5], scale: 2, seed: 6))
    }

    // MARK: ChannelAffine

    func testChannelAffineForwardAndGradient() {
        let scale = randomArray(3, seed: 7), shift = randomArray(3, seed: 8)
        // [N, C, H, W] and [N, C], with N != C so a channel taken from the wrong dimension shows.
        for shape in [[2, 3, 4, 5], [4, 3], [1, 3, 7]] {
            let x = randomTensor(shape, seed: 9)
            let plane = shape.dropFirst(2).reduce(1, *)
            let expected = (0..<x.count).map { i in
                let c = (i / plane) % 3
                return Float(Double(x.storage[i]) * Double(scale[c]) + Double(shift[c]))
            }
            assertClose(ChannelAffine(scale: scale, shift: shift).forward(x), Tensor(shape: shape, storage: expected), "\(shape)")
            checkGradients(of: ChannelAffine(scale: scale, shift: shift), input: x)
        }
    }

    // MARK: ConstantPad2d

    func naivePad(_ x: Tensor, top: Int, left: Int, bottom: Int, right: Int, value: Float) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oh = h + top + bottom, ow = w + left + right
        var y = [Float]()
        for plane in 0..<n * c {
            for r in 0..<oh {
                for col in 0..<ow {
                    let (ir, ic) = (r - top, col - left)
                    y.append((0..<h).contains(ir) && (0..<w).contains(ic) ? x.storage[(plane * h + ir) * w + ic] : value)
                }
            }
        }
        return Tensor(shape: [n, c, oh, ow], storage: y)
    }

    func testConstantPad2dAsymmetricAwkwardShapes() {
        let pads = [(0, 1, 2, 3), (3, 2, 1, 0), (1, 0, 0, 2), (0, 0, 0, 0)]
        for shape in [[2, 3, 1, 1], [1, 2, 5, 7], [3, 1, 2, 3], [1, 1, 1, 13]] {
            for (top, left, bottom, right) in pads {
                for value: Float in [0, -1.5] {
                    let what = "shape \(shape) pads \((top, left, bottom, right)) value \(value)"
                    let x = randomTensor(shape, seed: 10)
                    let layer = ConstantPad2d(top: top, left: left, bottom: bottom, right: right, value: value)
                    let y = layer.forward(x)
                    XCTAssertEqual(y, naivePad(x, top: top, left: left, bottom: bottom, right: right, value: value), what)
                    // Backward is the crop of dY: the interior rows and columns, exactly.
                    let dY = randomTensor(y.shape, seed: 11)
                    let dX = layer.backward(dY, accumulateParameterGradients: false)
                    var crop = [Float]()
                    for plane in 0..<shape[0] * shape[1] {
                        for r in 0..<shape[2] {
                            for col in 0..<shape[3] { crop.append(dY.storage[(plane * y.shape[2] + r + top) * y.shape[3] + col + left]) }
                        }
                    }
                    XCTAssertEqual(dX, Tensor(shape: shape, storage: crop), what)
                }
            }
        }
        checkGradients(of: ConstantPad2d(top: 0, left: 1, bottom: 2, right: 3, value: 0.5), input: randomTensor([2, 3, 5, 7], seed: 12))
        checkGradients(of: ConstantPad2d(top: 2, left: 0, bottom: 1, right: 1, value: -2), input: randomTensor([1, 2, 1, 1], seed: 13))
    }

    // MARK: Reshape and Transpose

    func testReshapeKeepsBatchAndOrder() {
        for n in [1, 3] {
            let x = iota([n, 2, 3, 5])
            let layer = Reshape(sampleShape: [5, 6])
            let y = layer.forward(x)
            XCTAssertEqual(y, Tensor(shape: [n, 5, 6], storage: x.storage))
            let dY = randomTensor([n, 5, 6], seed: 14)
            XCTAssertEqual(layer.backward(dY, accumulateParameterGradients: false), Tensor(shape: x.shape, storage: dY.storage))
        }
        checkGradients(of: Reshape(sampleShape: [30, 1, 1]), input: randomTensor([2, 2, 3, 5], seed: 15))
    }

    /// Every permutation of `0..<n`.
    func permutations(_ n: Int) -> [[Int]] {
        if n == 0 { return [[]] }
        return permutations(n - 1).flatMap { p in (0...p.count).map { i in var q = p; q.insert(n - 1, at: i); return q } }
    }

    /// `y[o] = x[i]` with `i[p[d]] = o[d]`, one element at a time.
    func naivePermute(_ x: Tensor, _ p: [Int]) -> Tensor {
        let outShape = p.map { x.shape[$0] }
        return Tensor(shape: outShape, storage: (0..<x.count).map { flat in
            let o = multiIndex(flat, outShape)
            var i = [Int](repeating: 0, count: p.count)
            for d in p.indices { i[p[d]] = o[d] }
            return x.storage[broadcastRead(i, x.shape)]
        })
    }

    /// `permute` (also used by constant folding, so any permutation) against the index loop, ranks 1 to 4.
    func testTransposePermuteMatchesNaive() {
        for shape in [[7], [3, 5], [2, 3, 5], [2, 3, 5, 7], [3, 1, 4, 2]] {
            let x = iota(shape)
            for p in permutations(shape.count) {
                XCTAssertEqual(NN.Transpose.permute(x, p), naivePermute(x, p), "shape \(shape) permutation \(p)")
            }
        }
    }

    func testTransposeLayerForwardAndGradient() {
        for shape in [[2, 3, 5], [2, 3, 5, 7]] {
            let x = iota(shape)
            for p in permutations(shape.count) where p[0] == 0 {
                let layer = NN.Transpose(permutation: p)
                let y = layer.forward(x)
                XCTAssertEqual(y, naivePermute(x, p), "\(p)")
                // Backward permutes back: dY = y must give dX = x.
                XCTAssertEqual(layer.backward(y, accumulateParameterGradients: false), x, "\(p)")
                checkGradients(of: layer, input: randomTensor(shape, seed: 16))
            }
        }
    }

    // MARK: Broadcast

    func testBroadcastShape() {
        for (a, b, out) in broadcastCases {
            XCTAssertEqual(broadcastShape(a, b), out, "\(a) vs \(b)")
        }
        for (a, b) in [([2, 3], [3, 2]), ([2, 3, 4, 5], [4]), ([3], [4]), ([2, 1], [3, 2]), ([2, 3, 4, 5], [1, 3, 2, 1])] {
            XCTAssertNil(broadcastShape(a, b), "\(a) vs \(b)")
            XCTAssertNil(broadcastShape(b, a), "\(b) vs \(a)")
        }
    }

    func testBroadcastApplyAllOperators() {
        for (k, (aShape, bShape, out)) in broadcastCases.enumerated() {
            let a = randomTensor(aShape, seed: 20 + UInt64(k))
            let b = awayFromZero(bShape, margin: 0.5, seed: 40 + UInt64(k))
            for op in BinaryOperator.allCases {
                XCTAssertEqual(broadcastApply(op, a, b), naiveBroadcast(op, a, b, shape: out), "\(aShape) \(op) \(bShape)")
            }
        }
    }

    func testSumToShape() {
        let t = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(sumToShape(t, [3]), Tensor(shape: [3], storage: [5, 7, 9]))
        XCTAssertEqual(sumToShape(t, [1, 3]), Tensor(shape: [1, 3], storage: [5, 7, 9]))
        XCTAssertEqual(sumToShape(t, [2, 1]), Tensor(shape: [2, 1], storage: [6, 15]))
        XCTAssertEqual(sumToShape(t, []), Tensor(shape: [], storage: [21]))
        XCTAssertEqual(sumToShape(t, [2, 3]), t)
        // Every operand shape of the broadcast cases, against a Double accumulation.
        for (k, (aShape, bShape, out)) in broadcastCases.enumerated() {
            let t = randomTensor(out, seed: 60 + UInt64(k))
            for shape in [aShape, bShape] {
                var sums = [Double](repeating: 0, count: shape.reduce(1, *))
                for flat in 0..<t.count { sums[broadcastRead(multiIndex(flat, out), shape)] += Double(t.storage[flat]) }
                assertClose(sumToShape(t, shape), Tensor(shape: shape, storage: sums.map { Float($0) }), "\(out) to \(shape)")
            }
        }
    }

    /// `x op c` and `c op x` (c - x, c / x), forward against the naive broadcast and backward by
    /// central differences, with the constant stretched, x stretched, or both.
    func testConstantOperandForwardAndGradients() {
        let cases: [(x: [Int], c: [Int], out: [Int])] = [
            ([2, 3, 4, 5], [1, 3, 1, 1], [2, 3, 4, 5]),
            ([2, 3, 4, 5], [5], [2, 3, 4, 5]),
            ([2, 3, 4, 5], [], [2, 3, 4, 5]),
            ([3, 1, 5], [2, 1, 4, 1], [2, 3, 4, 5]),
            ([2, 1, 4, 1], [3, 1, 5], [2, 3, 4, 5]),
            ([2, 3], [2, 3], [2, 3]),
        ]
        for (k, (xShape, cShape, out)) in cases.enumerated() {
            // |x|, |c| >= 1 so a divisor is never small (the truncation error of c / x grows as 1 / x^4).
            let x = awayFromZero(xShape, margin: 1, seed: 80 + UInt64(k))
            let c = awayFromZero(cShape, margin: 1, seed: 90 + UInt64(k))
            for op in BinaryOperator.allCases {
                for constantFirst in [false, true] {
                    let what = constantFirst ? "c\(cShape) \(op) x\(xShape)" : "x\(xShape) \(op) c\(cShape)"
                    let layer = ConstantOperand(op, constant: c, constantFirst: constantFirst)
                    let expected = constantFirst ? naiveBroadcast(op, c, x, shape: out) : naiveBroadcast(op, x, c, shape: out)
                    XCTAssertEqual(layer.forward(x), expected, what)
                    XCTAssertEqual(layer.backward(Tensor(shape: out), accumulateParameterGradients: false).shape, xShape, what)
                    checkGradients(of: layer, input: x)
                }
            }
        }
    }

    /// `a op b` for two runtime inputs: both gradients by central differences, shapes broadcast either way.
    func testBinaryOperationGradientsForBothInputs() {
        for (k, (aShape, bShape, out)) in broadcastCases.enumerated() {
            let a = awayFromZero(aShape, margin: 1, seed: 100 + UInt64(k))
            let b = awayFromZero(bShape, margin: 1, seed: 120 + UInt64(k))
            for op in BinaryOperator.allCases {
                let what = "\(aShape) \(op) \(bShape)"
                let operation = BinaryOperation(op)
                let y = operation.forward([a, b])
                XCTAssertEqual(y, naiveBroadcast(op, a, b, shape: out), what)
                let r = randomTensor(out, seed: 140 + UInt64(k))
                let grads = operation.backward(r, accumulateParameterGradients: false)
                XCTAssertEqual(grads.map(\.shape), [aShape, bShape], what)
                guard grads.count == 2 else { continue }
                assertGradientClose(grads[0].storage, numericGradient(at: a) { weightedSum(operation.forward([$0, b]), r) }, "dA of \(what)")
                assertGradientClose(grads[1].storage, numericGradient(at: b) { weightedSum(operation.forward([a, $0]), r) }, "dB of \(what)")
            }
        }
    }

    // MARK: GraphBlock

    /// v1 = conv(x), v2 = relu(v1), v3 = v2 + x (the skip), v4 = v3 + v3 (one step reading a value
    /// twice), v5 = v4 * v1 (v1 read by two steps): x and v1 each feed two steps, v3 one step twice.
    func residualBlock(seed: UInt64) -> GraphBlock {
        GraphBlock(steps: [
            .init(LayerOperation(Conv2d(3, 3, kernelSize: 3, padding: 1, seed: seed)), inputs: [0]),
            .init(LayerOperation(ReLU()), inputs: [1]),
            .init(BinaryOperation(.add), inputs: [2, 0]),
            .init(BinaryOperation(.add), inputs: [3, 3]),
            .init(BinaryOperation(.mul), inputs: [4, 1]),
        ], output: 5)
    }

    func testGraphBlockForwardMatchesHandComposition() {
        let x = randomTensor([2, 3, 5, 5], seed: 160)
        let v1 = Conv2d(3, 3, kernelSize: 3, padding: 1, seed: 161).forward(x)
        var expected = v1
        for i in 0..<v1.count {
            let v3 = max(v1.storage[i], 0) + x.storage[i]
            expected.storage[i] = (v3 + v3) * v1.storage[i]
        }
        XCTAssertEqual(residualBlock(seed: 161).forward(x), expected)
    }

    /// dX and the convolution's weight and bias gradients, all through the two reads of x and of v1.
    func testGraphBlockGradients() {
        let block = residualBlock(seed: 162)
        XCTAssertEqual(block.namedParameters().map(\.name), ["0.weight", "0.bias"])
        // h = 1e-3: a probe rarely moves a convolution output across ReLU's kink (those elements are skipped).
        checkGradients(of: block, input: randomTensor([2, 3, 5, 5], seed: 163), h: 1e-3)
    }

    /// Gradients of a value read by several steps add, exactly: y = x * x + x gives dX = dY * (2x + 1).
    func testGraphBlockAddsGradientsOfSharedValues() {
        let block = GraphBlock(steps: [
            .init(BinaryOperation(.mul), inputs: [0, 0]),
            .init(BinaryOperation(.add), inputs: [1, 0]),
        ], output: 2)
        let x = Tensor(shape: [2, 3], storage: [1, -2, 0.5, 3, 0, -0.25])
        XCTAssertEqual(block.forward(x).storage, x.storage.map { $0 * $0 + $0 })
        let dY = Tensor(shape: [2, 3], storage: [1, 2, -1, 0.5, 4, -8])
        let dX = block.backward(dY, accumulateParameterGradients: false)
        XCTAssertEqual(dX.storage, zip(x.storage, dY.storage).map { x, d in d * x + d * x + d })
    }

    // MARK: AvgPool2d

    func naiveAvgPool(_ x: Tensor, kernel k: Int, stride s: Int, padding p: Int, countIncludePad: Bool) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1
        var y = [Float]()
        for plane in 0..<n * c {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var sum = 0.0, inside = 0
                    for iy in oy * s - p..<oy * s - p + k where (0..<h).contains(iy) {
                        for ix in ox * s - p..<ox * s - p + k where (0..<w).contains(ix) {
                            sum += Double(x.storage[(plane * h + iy) * w + ix])
                            inside += 1
                        }
                    }
                    y.append(Float(sum / Double(countIncludePad ? k * k : inside)))
                }
            }
        }
        return Tensor(shape: [n, c, oh, ow], storage: y)
    }

    /// Kernel, stride, padding and input shape: corners, edges, windows hanging off both sides, 1x1 images.
    let poolCases: [(k: Int, s: Int, p: Int, shape: [Int])] = [
        (3, 2, 1, [2, 2, 5, 7]),
        (3, 1, 1, [1, 3, 4, 6]),
        (2, 2, 1, [2, 1, 5, 4]),
        (2, 1, 1, [1, 2, 3, 3]),
        (3, 1, 1, [2, 2, 1, 1]),
        (3, 2, 0, [1, 2, 7, 5]),
    ]

    func testAvgPool2dExcludingPadding() {
        for (k, s, p, shape) in poolCases {
            let x = randomTensor(shape, seed: 170)
            let pool = AvgPool2d(kernelSize: k, stride: s, padding: p, countIncludePad: false)
            assertClose(pool.forward(x), naiveAvgPool(x, kernel: k, stride: s, padding: p, countIncludePad: false), "k \(k) s \(s) p \(p) \(shape)")
            checkGradients(of: pool, input: x)
        }
        // A corner window of a 3x3 pool with padding 1 covers 4 pixels, an edge window 6, the centre 9.
        let x = Tensor(shape: [1, 1, 3, 3], repeating: 1)
        XCTAssertEqual(AvgPool2d(kernelSize: 3, stride: 1, padding: 1, countIncludePad: false).forward(x).storage, [Float](repeating: 1, count: 9))
        assertClose(AvgPool2d(kernelSize: 3, stride: 1, padding: 1).forward(x).storage, [4, 6, 4, 6, 9, 6, 4, 6, 4].map { $0 / 9 })
    }

    func testAvgPool2dIncludingPaddingUnchanged() {
        for (k, s, p, shape) in poolCases {
            let x = randomTensor(shape, seed: 171)
            let what = "k \(k) s \(s) p \(p) \(shape)"
            let pool = AvgPool2d(kernelSize: k, stride: s, padding: p, countIncludePad: true)
            let y = pool.forward(x)
            assertClose(y, naiveAvgPool(x, kernel: k, stride: s, padding: p, countIncludePad: true), what)
            XCTAssertEqual(AvgPool2d(kernelSize: k, stride: s, padding: p).forward(x), y, "default is countIncludePad: true; \(what)")
            if p == 0 {
                XCTAssertEqual(AvgPool2d(kernelSize: k, stride: s, countIncludePad: false).forward(x), y, "no padding: both divisors k*k; \(what)")
            }
            checkGradients(of: pool, input: x)
        }
    }

    // MARK: Normalize

    func testNormalizeInverseStdIsBitExact() {
        let x = randomTensor([2, 3, 4, 5], seed: 180)
        let mean: [Float] = [0.4914, 0.4822, 0.4465]
        let inverseStd: [Float] = [4.0486, 4.1068, 3.8226]
        let layer = Normalize(mean: mean, inverseStd: inverseStd)
        XCTAssertEqual(layer.inverseStd, inverseStd)
        let y = layer.forward(x)
        XCTAssertEqual(y.storage, x.storage.indices.map { i in (x.storage[i] - mean[(i / 20) % 3]) * inverseStd[(i / 20) % 3] })
        let dY = randomTensor(x.shape, seed: 181)
        XCTAssertEqual(layer.backward(dY, accumulateParameterGradients: false).storage,
                       dY.storage.indices.map { i in dY.storage[i] * inverseStd[(i / 20) % 3] })
    }

    func testNormalizeStdUnchanged() {
        let x = randomTensor([2, 3, 4, 5], seed: 182)
        let mean: [Float] = [0.4914, 0.4822, 0.4465], std: [Float] = [0.2470, 0.2435, 0.2616]
        let layer = Normalize(mean: mean, std: std)
        XCTAssertEqual(layer.std, std)
        // The behaviour before `inverseStd` existed: multiply by 1 / std, computed in Float.
        XCTAssertEqual(layer.forward(x).storage, x.storage.indices.map { i in (x.storage[i] - mean[(i / 20) % 3]) * (1 / std[(i / 20) % 3]) })
        XCTAssertEqual(layer.forward(x), Normalize(mean: mean, inverseStd: std.map { 1 / $0 }).forward(x))
    }
}
