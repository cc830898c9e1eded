import Kernels
import NN
import XCTest
import _TestSupport

/// Conv2d (im2col + GEMM) against the naive direct convolution, and its gradients against central differences.
final class Conv2dTests: XCTestCase {
    struct Config: CustomStringConvertible {
        var batch: Int, channels: Int, height: Int, width: Int, out: Int, kernel: Int, stride: Int, padding: Int, bias: Bool
        var description: String {
            "N\(batch) C\(channels) \(height)x\(width) -> \(out), k\(kernel) s\(stride) p\(padding) bias \(bias)"
        }
    }

    /// Kernels 1/3/5 x stride 1/2 x padding 0/1/2 on a non-square 7x9 input, batch 1 and 3, with and without bias.
    var configs: [Config] {
        var out: [Config] = []
        var i = 0
        for kernel in [1, 3, 5] {
            for stride in [1, 2] {
                for padding in [0, 1, 2] {
                    out.append(Config(batch: i % 2 == 0 ? 1 : 3, channels: 2, height: 7, width: 9, out: 3,
                                      kernel: kernel, stride: stride, padding: padding, bias: i % 3 != 0))
                    i += 1
                }
            }
        }
        return out
    }

    func geometry(_ c: Config) -> ConvGeometry {
        ConvGeometry(channels: c.channels, height: c.height, width: c.width, kernelHeight: c.kernel,
                     kernelWidth: c.kernel, stride: c.stride, padding: c.padding)
    }

    /// im2col chunk sizes to test: automatic (one chunk at these sizes), and small ones whose
    /// edges fall mid-row, so chunked im2col/col2im and the chunked dW sum are exercised.
    let chunkings: [Int?] = [nil, 5, 13]

    func testForwardMatchesDirectConvolution() {
        for chunk in chunkings {
        for (i, c) in configs.enumerated() {
            let conv = Conv2d(c.channels, c.out, kernelSize: c.kernel, stride: c.stride, padding: c.padding, bias: c.bias, seed: UInt64(i))
            conv.im2colChunkColumns = chunk
            let x = randomTensor([c.batch, c.channels, c.height, c.width], seed: UInt64(100 + i))
            let y = conv.forward(x)
            let g = geometry(c)
            let expected = conv2dReference(input: x.storage, weight: conv.weight.value.storage, bias: conv.bias?.value.storage,
                                           batch: c.batch, outChannels: c.out, geometry: g)
            assertClose(y, Tensor(shape: [c.batch, c.out, g.outHeight, g.outWidth], storage: expected), "\(c) chunk \(String(describing: chunk))")
        }
        }
    }

    func testGradientsMatchDirectReferences() {
        for chunk in chunkings {
        for (i, c) in configs.enumerated() {
            let conv = Conv2d(c.channels, c.out, kernelSize: c.kernel, stride: c.stride, padding: c.padding, bias: c.bias, seed: UInt64(i))
            conv.im2colChunkColumns = chunk
            let x = randomTensor([c.batch, c.channels, c.height, c.width], seed: UInt64(200 + i))
            let y = conv.forward(x)
            let dY = randomTensor(y.shape, seed: UInt64(300 + i))
            let dX = conv.backward(dY, accumulateParameterGradients: true)
            let g = geometry(c)
            let dXRef = conv2dInputGradientReference(outputGradient: dY.storage, weight: conv.weight.value.storage,
                                                     batch: c.batch, outChannels: c.out, geometry: g)
            let dWRef = conv2dWeightGradientReference(outputGradient: dY.storage, input: x.storage,
                                                      batch: c.batch, outChannels: c.out, geometry: g)
            assertClose(dX, Tensor(shape: x.shape, storage: dXRef), "dX \(c)")
            assertClose(conv.weight.grad, Tensor(shape: conv.weight.value.shape, storage: dWRef), "dW \(c)")
            if let bias = conv.bias {
                var dB = [Float](repeating: 0, count: c.out)
                let spatial = g.outHeight * g.outWidth
                for b in 0..<c.batch {
                    for o in 0..<c.out { for p in 0..<spatial { dB[o] += dY.storage[(b * c.out + o) * spatial + p] } }
                }
                assertClose(bias.grad.storage, dB, "db \(c)")
            }
        }
        }
    }

    /// The input gradient taken as a convolution of dY (stride 1, square kernel, at least 8 input
    /// channels, on a CPU with the in-place micro-kernel: the shipped cnn's second layer and every
    /// resnet-lite layer) against the direct reference, on both sides of the 8-channel switch, at
    /// awkward sizes: 1x1 and prime-sided images, channel counts 7, 8, 9, 13 and 32, padding 0 to k - 1.
    func testInputGradientOnBothSidesOfTheEightChannelSwitch() {
        var i = 0
        // Every kernel this CPU runs: the portable one never takes the transposed path, so both
        // algorithms meet the reference on every machine.
        for microKernel in MicroKernel.supported {
        let context = ExecutionContext(threads: 2, gemm: .tuned(for: microKernel))
        for channels in [1, 3, 7, 8, 9, 13, 32] {
            for (kernel, padding) in [(1, 0), (3, 0), (3, 1), (3, 2), (5, 2)] {
                for (height, width) in [(1, 1), (7, 5), (11, 13), (6, 9)] where height + 2 * padding >= kernel && width + 2 * padding >= kernel {
                    let c = Config(batch: i % 2 == 0 ? 1 : 3, channels: channels, height: height, width: width, out: [3, 8, 17][i % 3],
                                   kernel: kernel, stride: 1, padding: padding, bias: false)
                    let conv = Conv2d(c.channels, c.out, kernelSize: c.kernel, stride: 1, padding: c.padding, bias: false, seed: UInt64(400 + i))
                    let x = randomTensor([c.batch, c.channels, c.height, c.width], seed: UInt64(500 + i))
                    let dY = randomTensor(conv.forward(x, context: context).shape, seed: UInt64(600 + i))
                    let dX = conv.backward(dY, accumulateParameterGradients: false, context: context)
                    let dXRef = conv2dInputGradientReference(outputGradient: dY.storage, weight: conv.weight.value.storage,
                                                             batch: c.batch, outChannels: c.out, geometry: geometry(c))
                    assertClose(dX, Tensor(shape: x.shape, storage: dXRef), "dX \(c), \(microKernel.name), \(conv.inputGradientPath(forInput: x.shape, context: context))")
                    i += 1
                }
            }
        }
        }
        XCTAssertGreaterThan(i, 50)
    }

    /// Which input-gradient algorithm a layer takes depends on its shape and the context's kernel
    /// only, on both sides of every switch: 8 input channels, stride 1, a 1x1 kernel, the column
    /// matrix's size against L2, and a kernel with or without in-place reads.
    func testInputGradientPathIsAFunctionOfShapeAndContext() {
        typealias Path = Conv2d.InputGradientPath
        func path(_ c: Int, kernel k: Int, stride: Int = 1, padding: Int, side: Int = 12, on context: ExecutionContext) -> Path {
            Conv2d(c, 4, kernelSize: k, stride: stride, padding: padding, seed: 1)
                .inputGradientPath(forInput: [2, c, side, side], context: context)
        }
        let portable = ExecutionContext(threads: 1, gemm: .tuned(for: .portable))
        XCTAssertEqual(path(8, kernel: 3, padding: 1, on: portable), .gemmGather, "no in-place kernel: never transposed")
        XCTAssertEqual(path(7, kernel: 1, padding: 0, on: portable), .gemmIdentity)
        XCTAssertEqual(path(7, kernel: 3, stride: 2, padding: 1, on: portable), .gemmChunked, "strided")
        XCTAssertEqual(path(7, kernel: 3, padding: 1, side: 160, on: portable), .gemmChunked, "column matrix beyond L2")
        XCTAssertEqual(path(7, kernel: 3, padding: 1, side: 40, on: portable), .gemmGather, "column matrix within L2")
        if let inPlace = MicroKernel.supported.first(where: { $0.runIndirect != nil }) {
            let context = ExecutionContext(threads: 1, gemm: .tuned(for: inPlace))
            XCTAssertEqual(path(8, kernel: 3, padding: 1, on: context), .transposedConvolution)
            XCTAssertEqual(path(7, kernel: 3, padding: 1, on: context), .nineTapGather, "below 8 channels, 3x3")
            XCTAssertEqual(path(7, kernel: 3, padding: 1, side: 5, on: context), .gemmGather, "25 outputs: below a nine-tap tile")
            XCTAssertEqual(path(3, kernel: 5, padding: 2, on: context), .gemmGather, "5x5")
            XCTAssertEqual(path(8, kernel: 1, padding: 0, on: context), .transposedConvolution)
            XCTAssertEqual(path(8, kernel: 3, stride: 2, padding: 1, on: context), .phases, "strided")
            XCTAssertEqual(path(3, kernel: 1, stride: 2, padding: 0, on: context), .gemmChunked, "strided 1x1")
            XCTAssertEqual(path(8, kernel: 3, padding: 3, on: context), .nineTapGather, "padding not below the kernel")
            XCTAssertEqual(path(8, kernel: 5, padding: 5, on: context), .gemmGather, "5x5, padding not below the kernel")
        }
    }

    /// More than one weight-gradient chunk (8 images): partials must add up to the whole.
    func testWeightGradientOverSeveralChunks() {
        let conv = Conv2d(2, 4, kernelSize: 3, stride: 1, padding: 1, seed: 5)
        let x = randomTensor([19, 2, 5, 6], seed: 6)
        let dY = randomTensor(conv.forward(x).shape, seed: 7)
        _ = conv.backward(dY, accumulateParameterGradients: true)
        let g = ConvGeometry(channels: 2, height: 5, width: 6, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        let dWRef = conv2dWeightGradientReference(outputGradient: dY.storage, input: x.storage, batch: 19, outChannels: 4, geometry: g)
        assertClose(conv.weight.grad.storage, dWRef)
    }

    /// Gradients accumulate: two backward passes give twice the gradient.
    func testParameterGradientsAccumulate() {
        let conv = Conv2d(2, 3, kernelSize: 3, padding: 1, seed: 8)
        let x = randomTensor([2, 2, 4, 5], seed: 9)
        let dY = randomTensor(conv.forward(x).shape, seed: 10)
        _ = conv.backward(dY, accumulateParameterGradients: true)
        let once = conv.weight.grad
        _ = conv.backward(dY, accumulateParameterGradients: true)
        assertClose(conv.weight.grad.storage, once.storage.map { 2 * $0 })
    }

    func testCentralDifferences() {
        let cases: [(Config, UInt64)] = [
            (Config(batch: 1, channels: 2, height: 5, width: 6, out: 3, kernel: 3, stride: 1, padding: 1, bias: true), 1),
            (Config(batch: 3, channels: 2, height: 6, width: 5, out: 2, kernel: 3, stride: 2, padding: 0, bias: false), 2),
            (Config(batch: 1, channels: 1, height: 6, width: 7, out: 2, kernel: 5, stride: 2, padding: 2, bias: true), 3),
            (Config(batch: 3, channels: 3, height: 3, width: 4, out: 2, kernel: 1, stride: 1, padding: 0, bias: true), 4),
            (Config(batch: 1, channels: 2, height: 4, width: 5, out: 2, kernel: 1, stride: 2, padding: 1, bias: false), 5),
        ]
        for (c, seed) in cases {
            let conv = Conv2d(c.channels, c.out, kernelSize: c.kernel, stride: c.stride, padding: c.padding, bias: c.bias, seed: seed)
            checkGradients(of: conv, input: randomTensor([c.batch, c.channels, c.height, c.width], seed: 50 + seed))
        }
    }

    func testNonSquareKernel() {
        let conv = Conv2d(2, 3, kernelSize: (3, 2), stride: 1, padding: 1, seed: 11)
        let x = randomTensor([2, 2, 5, 4], seed: 12)
        let y = conv.forward(x)
        let g = ConvGeometry(channels: 2, height: 5, width: 4, kernelHeight: 3, kernelWidth: 2, stride: 1, padding: 1)
        XCTAssertEqual(y.shape, [2, 3, 5, 5])
        assertClose(y.storage, conv2dReference(input: x.storage, weight: conv.weight.value.storage, bias: conv.bias?.value.storage,
                                               batch: 2, outChannels: 3, geometry: g))
        checkGradients(of: conv, input: x)
    }
}
