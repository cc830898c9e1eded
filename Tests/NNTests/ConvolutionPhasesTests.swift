import Kernels
import NN
import XCTest
import _TestSupport

/// A strided convolution's input gradient by phases against the direct Double reference: strides 2
/// and 3, kernels 2, 3, 4 and 5 (and 1 and 2 below the stride, which keep the column path), paddings
/// 0-5 (beyond the window: rows of phases wholly in the padding), images of 1 to 14 pixels a side
/// (phases with no pixels), channel counts on both sides of the 8-row tile, batches of 1 and 3.
final class ConvolutionPhasesTests: XCTestCase {
    func testStridedInputGradientMatchesDirectReference() throws {
        guard let inPlace = MicroKernel.supported.first(where: { $0.runIndirect != nil }) else {
            throw XCTSkip("the phase path needs the in-place micro-kernel")
        }
        let context = ExecutionContext(threads: 2, gemm: .tuned(for: inPlace))
        var index = 0
        for (stride, kernel, padding) in [(2, 3, 1), (2, 1, 0), (2, 2, 0), (2, 5, 2), (3, 3, 1), (3, 2, 2), (3, 1, 0), (2, 3, 4), (3, 4, 5)] {
            for (height, width) in [(1, 1), (2, 3), (7, 9), (14, 14)] where height + 2 * padding >= kernel && width + 2 * padding >= kernel {
                let channels = [1, 7, 8, 9, 17][index % 5], out = [3, 16, 5, 33][index % 4], batch = index % 2 == 0 ? 1 : 3
                index += 1
                let conv = Conv2d(channels, out, kernelSize: kernel, stride: stride, padding: padding, seed: UInt64(index))
                let g = ConvGeometry(channels: channels, height: height, width: width, kernelHeight: kernel, kernelWidth: kernel,
                                     stride: stride, padding: padding)
                if kernel >= stride {
                    XCTAssertEqual(conv.inputGradientPath(forInput: [batch, channels, height, width], context: context), .phases)
                }
                let x = randomTensor([batch, channels, height, width], seed: UInt64(100 + index))
                let y = conv.forward(x, context: context)
                let dY = randomTensor(y.shape, seed: UInt64(200 + index))
                let dX = conv.backward(dY, accumulateParameterGradients: false, context: context)
                let expected = conv2dInputGradientReference(outputGradient: dY.storage, weight: conv.weight.value.storage,
                                                            batch: batch, outChannels: out, geometry: g)
                assertClose(dX.storage, expected, "\(g) out \(out) batch \(batch)")
            }
        }
        XCTAssertGreaterThan(index, 20)
    }
}
