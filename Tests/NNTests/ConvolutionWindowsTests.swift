import Kernels
import NN
import XCTest
import _TestSupport

/// The weight gradient's window GEMM (`sgemm(a:windowsOfChannelsLast:)`, B packed from a channels-last
/// padded image) against the direct Double reference, through `Conv2d.backward` and on its own.
final class ConvolutionWindowsTests: XCTestCase {
    /// Channels 1, primes, 16/17 and 32/33 (runs that fill a 32-wide panel exactly or straddle it),
    /// 64; outputs 1 to 33; kernels 1 (strided: the window path), 2x5, 3, 5; stride 1/2; padding 0-2.
    let cases: [(geometry: ConvGeometry, outChannels: Int)] = [
        (ConvGeometry(channels: 1, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 32),
        (ConvGeometry(channels: 3, height: 7, width: 11, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0), 5),
        (ConvGeometry(channels: 16, height: 13, width: 9, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 16),
        (ConvGeometry(channels: 17, height: 5, width: 6, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1), 9),
        (ConvGeometry(channels: 32, height: 7, width: 7, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 33),
        (ConvGeometry(channels: 33, height: 6, width: 5, kernelHeight: 1, kernelWidth: 1, stride: 2, padding: 0), 17),
        (ConvGeometry(channels: 2, height: 9, width: 10, kernelHeight: 2, kernelWidth: 5, stride: 1, padding: 2), 1),
        (ConvGeometry(channels: 5, height: 9, width: 9, kernelHeight: 5, kernelWidth: 5, stride: 2, padding: 2), 7),
        (ConvGeometry(channels: 64, height: 7, width: 7, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1), 11),
        (ConvGeometry(channels: 1, height: 1, width: 1, kernelHeight: 1, kernelWidth: 1, stride: 1, padding: 2), 3),
        // One channel, 3x3 (the first layer of a grey model: 9 columns, a third of a panel): odd and one
        // output channels, rows shorter than a vector, a 1x1 image, padding 0-2.
        (ConvGeometry(channels: 1, height: 1, width: 1, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 1),
        (ConvGeometry(channels: 1, height: 5, width: 13, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0), 17),
        (ConvGeometry(channels: 1, height: 7, width: 2, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 2), 2),
        (ConvGeometry(channels: 1, height: 13, width: 31, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 3),
        (ConvGeometry(channels: 1, height: 3, width: 3, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0), 16),
    ]

    func testConvWeightGradientMatchesDirectReference() {
        for (index, (g, o)) in cases.enumerated() {
            for batch in [1, 3, 11] { // 11: two chunks of images, the second partial
                let conv = Conv2d(g.channels, o, kernelSize: (g.kernelHeight, g.kernelWidth), stride: g.stride,
                                  padding: g.padding, bias: index % 2 == 0, seed: UInt64(index))
                let x = randomTensor([batch, g.channels, g.height, g.width], seed: UInt64(50 + index))
                let y = conv.forward(x)
                let dY = randomTensor(y.shape, seed: UInt64(90 + index))
                _ = conv.backward(dY, accumulateParameterGradients: true)
                let expected = conv2dWeightGradientReference(outputGradient: dY.storage, input: x.storage, batch: batch,
                                                             outChannels: o, geometry: g)
                assertClose(conv.weight.grad.storage, expected, "dW \(g) out \(o) batch \(batch)")
            }
        }
    }

    func testWeightGradientIsBitIdenticalForOneAndTwoThreads() {
        for (index, (g, o)) in cases.enumerated() {
            var grads: [[Float]] = []
            for threads in [1, 2] {
                let conv = Conv2d(g.channels, o, kernelSize: (g.kernelHeight, g.kernelWidth), stride: g.stride,
                                  padding: g.padding, seed: UInt64(index))
                let context = ExecutionContext(threads: threads)
                let x = randomTensor([19, g.channels, g.height, g.width], seed: UInt64(7 + index))
                let y = conv.forward(x, context: context)
                _ = conv.backward(randomTensor(y.shape, seed: 3), accumulateParameterGradients: true, context: context)
                grads.append(conv.weight.grad.storage + conv.bias!.grad.storage)
            }
            XCTAssertEqual(grads[0], grads[1], "\(g) out \(o)")
        }
    }

    /// The channels-last padded copy, element by element, on both sides of its 4x4-block path (widths and
    /// channel counts below 4 take the scalar loop; others overlap their last block), slack included.
    func testPaddedChannelsLastCopyAtAwkwardShapes() {
        for width in 1...9 {
            for channels in [1, 3, 4, 5, 8, 9, 17] {
                for (height, padding) in [(1, 0), (2, 1), (3, 2)] {
                    let g = ConvGeometry(channels: channels, height: height, width: width, kernelHeight: 1, kernelWidth: 1,
                                         stride: 1, padding: padding)
                    let x = randomArray(g.imageCount, seed: UInt64(width * 100 + channels))
                    var padded = [Float](repeating: .nan, count: channelsLastPaddedCount(g))
                    x.withUnsafeBufferPointer { xp in
                        padded.withUnsafeMutableBufferPointer { padImageChannelsLast(xp.baseAddress!, g, into: $0.baseAddress!) }
                    }
                    let wp = width + 2 * padding, hp = height + 2 * padding
                    var expected = [Float](repeating: 0, count: padded.count)
                    for y in 0..<height {
                        for xx in 0..<width {
                            for c in 0..<channels {
                                expected[((y + padding) * wp + xx + padding) * channels + c] = x[(c * height + y) * width + xx]
                            }
                        }
                    }
                    XCTAssertEqual(padded, expected, "\(channels) x \(height) x \(width), padding \(padding)")
                    XCTAssertEqual(padded.count, hp * wp * channels + 64)
                }
            }
        }
    }

    /// The packed window matrix itself: element (s, (i*kw + j)*C + c) is x under tap (i, j) of channel c.
    func testWindowMatrixIsTransposedIm2colInTapMajorOrder() {
        for (index, (g, _)) in cases.enumerated() {
            let x = randomArray(g.imageCount, seed: UInt64(index))
            var col = [Float](repeating: .nan, count: g.colRows * g.colColumns)
            var padded = [Float](repeating: .nan, count: channelsLastPaddedCount(g))
            x.withUnsafeBufferPointer { xp in
                col.withUnsafeMutableBufferPointer { im2col(xp.baseAddress!, g, into: $0.baseAddress!) }
                padded.withUnsafeMutableBufferPointer { padImageChannelsLast(xp.baseAddress!, g, into: $0.baseAddress!) }
            }
            // One GEMM with A = identity rows picks out rows of the window matrix: C = I * windows.
            let s = g.colColumns, k = g.colRows, taps = g.kernelHeight * g.kernelWidth
            var identity = [Float](repeating: 0, count: s * s)
            for t in 0..<s { identity[t * s + t] = 1 }
            var windows = [Float](repeating: .nan, count: s * k)
            identity.withUnsafeBufferPointer { ip in
            padded.withUnsafeBufferPointer { pp in
            windows.withUnsafeMutableBufferPointer { wp in
                sgemm(a: ip.baseAddress!, lda: s, m: s, windowsOfChannelsLast: pp.baseAddress!, geometry: g,
                      c: wp.baseAddress!, ldc: k, on: testContext)
            }}}
            var expected = [Float](repeating: 0, count: s * k)
            for pos in 0..<s {
                for c in 0..<g.channels {
                    for t in 0..<taps { expected[pos * k + t * g.channels + c] = col[(c * taps + t) * s + pos] }
                }
            }
            XCTAssertEqual(windows, expected, "\(g)")
        }
    }
}
