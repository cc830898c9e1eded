import Kernels
import XCTest
import _TestSupport

/// The direct forward tile (`Convolution+Direct.swift`) against im2col followed by the plain GEMM and
/// the bias added per row: the same FMA chain per output, so equal bit for bit; and against the
/// float64-free naive convolution within rounding.
final class ConvolutionDirectTests: XCTestCase {
    /// Shallow layers at awkward sizes: outputs exactly one vector wide (16), one past it (17: the
    /// second vector overlaps 15 columns), primes, an odd number of vectors (paired with itself),
    /// output channels 1, 7, 8, 9 and 13 (partial 8-row panels), depth 9 to 27 (the limit), a 5x5
    /// window, padding 0 to 3 (3: output rows that see only the border), a non-square window.
    let cases: [(geometry: ConvGeometry, outChannels: Int)] = [
        (ConvGeometry(channels: 1, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 32),
        (ConvGeometry(channels: 1, height: 16, width: 16, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 1),
        (ConvGeometry(channels: 1, height: 3, width: 17, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 9),
        (ConvGeometry(channels: 3, height: 32, width: 32, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 13),
        (ConvGeometry(channels: 3, height: 5, width: 31, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0), 8),
        (ConvGeometry(channels: 2, height: 7, width: 19, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 2), 7),
        (ConvGeometry(channels: 1, height: 11, width: 23, kernelHeight: 5, kernelWidth: 5, stride: 1, padding: 2), 16),
        (ConvGeometry(channels: 1, height: 2, width: 13, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 3), 5),
        (ConvGeometry(channels: 3, height: 9, width: 20, kernelHeight: 3, kernelWidth: 1, stride: 1, padding: 1), 11),
        (ConvGeometry(channels: 2, height: 1, width: 16, kernelHeight: 1, kernelWidth: 3, stride: 1, padding: 1), 3),
        // Deeper layers on well-covered rows: resnet-lite's first stage (16 channels at 28x28), 64 channels
        // at 32 wide (depth 576, one k pass), and 1x1 at 56 wide.
        (ConvGeometry(channels: 16, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 16),
        (ConvGeometry(channels: 64, height: 3, width: 32, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 9),
        (ConvGeometry(channels: 40, height: 2, width: 56, kernelHeight: 1, kernelWidth: 1, stride: 1, padding: 0), 17),
    ]

    func testDirectForwardIsBitIdenticalToIm2colThenGEMM() throws {
        guard let direct = MicroKernel.supported.first(where: { $0.direct != nil }) else {
            throw XCTSkip("no direct tiles on this CPU")
        }
        let context = ExecutionContext(threads: 1, gemm: .tuned(for: direct))
        for (index, (g, o)) in cases.enumerated() {
            XCTAssertTrue(g.takesDirectForward(depth: g.colRows, kc: context.gemm.kc), "\(g) should run directly")
            assertForwardIsBitIdenticalToIm2colThenGEMM(g, outChannels: o, seeds: (UInt64(20 + index), UInt64(200 + index),
                                                        UInt64(400 + index)), context: context, pixelTiles: false)
        }
    }

    /// Which layers run directly: stride 1, an output at least 16 wide, one k pass, and a depth up to 27
    /// or rows wasting at most an eighth of their vectors; both sides of each switch.
    func testDirectForwardTakesStrideOneLayersWithShallowDepthOrWellCoveredRows() {
        func takes(_ c: Int, _ side: Int, kernel: Int = 3, stride: Int = 1, padding: Int = 1) -> Bool {
            ConvGeometry(channels: c, height: side, width: side, kernelHeight: kernel, kernelWidth: kernel, stride: stride,
                         padding: padding).takesDirectForward(depth: c * kernel * kernel, kc: 640)
        }
        XCTAssertTrue(takes(3, 16))
        XCTAssertFalse(takes(3, 15), "output 15 wide: below a vector")
        XCTAssertTrue(takes(4, 28), "depth 36, rows of 28: 4 of 32 columns wasted")
        XCTAssertTrue(takes(64, 32), "depth 576, rows of 32")
        XCTAssertFalse(takes(4, 24), "depth 36, rows of 24: 8 of 32 wasted")
        XCTAssertTrue(takes(3, 24), "depth 27: any width")
        XCTAssertFalse(takes(72, 32), "depth 648: two k passes")
        XCTAssertTrue(takes(1, 28, kernel: 5, padding: 2), "depth 25")
        XCTAssertFalse(takes(1, 28, stride: 2), "strided")
        XCTAssertFalse(ConvGeometry(channels: 3, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
            .takesDirectForward(depth: 27, kc: 20), "deeper than one k pass")
    }

    /// The nine-tap input gradient against W^T dY by the GEMM and `col2imGather`: equal bit for bit.
    /// Channels 1, 2, 3 and 7, output planes of exactly 32 positions, 33 (the last tile overlaps
    /// 31), primes, padding 0 to 3 (3: dX pixels that only the border reaches), 1, 8, 9 and 40
    /// output channels.
    func testNineTapInputGradientIsBitIdenticalToGEMMThenGather() throws {
        guard let direct = MicroKernel.supported.first(where: { $0.direct != nil }) else {
            throw XCTSkip("no direct tiles on this CPU")
        }
        let context = ExecutionContext(threads: 1, gemm: .tuned(for: direct))
        let cases: [(channels: Int, height: Int, width: Int, padding: Int, out: Int)] = [
            (1, 28, 28, 1, 32), (1, 4, 8, 1, 1), (2, 3, 11, 1, 9), (3, 13, 7, 0, 8), (7, 5, 9, 2, 40), (1, 2, 5, 3, 3),
            (3, 32, 32, 1, 16),
        ]
        for (index, c) in cases.enumerated() {
            let g = ConvGeometry(channels: c.channels, height: c.height, width: c.width, kernelHeight: 3, kernelWidth: 3,
                                 stride: 1, padding: c.padding)
            let spatial = g.colColumns, k = g.colRows
            XCTAssertGreaterThanOrEqual(spatial, 32, "\(g)")
            let w = randomArray(c.out * k, seed: UInt64(600 + index))
            let dY = randomArray(c.out * spatial, seed: UInt64(700 + index))
            var channelMajor = [Float](repeating: 0, count: k * c.out)
            for oc in 0..<c.out {
                for ch in 0..<c.channels { for t in 0..<9 { channelMajor[(ch * c.out + oc) * 9 + t] = w[(oc * c.channels + ch) * 9 + t] } }
            }
            var col = [Float](repeating: .nan, count: k * spatial)
            var expected = [Float](repeating: .nan, count: g.imageCount)
            var nineTaps = [Float](repeating: .nan, count: g.imageCount)
            w.withUnsafeBufferPointer { wp in
            dY.withUnsafeBufferPointer { dyp in
                let packedWT = PackedA(.t, a: wp.baseAddress!, lda: k, m: k, k: c.out, for: context)
                col.withUnsafeMutableBufferPointer { cp in
                    sgemm(packedA: packedWT, .n, n: spatial, b: dyp.baseAddress!, ldb: spatial, c: cp.baseAddress!, ldc: spatial,
                          on: context, threads: 1)
                    expected.withUnsafeMutableBufferPointer { col2imGather(cp.baseAddress!, g, into: $0.baseAddress!) }
                }
                channelMajor.withUnsafeBufferPointer { mp in
                    nineTaps.withUnsafeMutableBufferPointer {
                        convolutionInputGradientByNineTaps(dyp.baseAddress!, outChannels: c.out, geometry: g, weights: mp.baseAddress!,
                                                           into: $0.baseAddress!, context: context)
                    }
                }
            }}
            XCTAssertNil(firstBitDifference(nineTaps, expected), "\(c)")
            let reference = conv2dInputGradientReference(outputGradient: dY, weight: w, batch: 1, outChannels: c.out, geometry: g)
            assertClose(nineTaps, reference, "\(c) against the naive input gradient")
        }
    }
}
