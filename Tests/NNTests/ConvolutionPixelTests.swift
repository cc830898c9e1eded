import Kernels
import XCTest
import _TestSupport

/// The pixel tile (`Convolution+Pixels.swift`) against im2col followed by the plain GEMM and the bias
/// added per row: the same FMA chain per output, so equal bit for bit; and against the naive
/// convolution within rounding.
final class ConvolutionPixelTests: XCTestCase {
    /// Output widths 7 (one tile), 8 (the last tile overlaps 6 pixels), 13 and 23 (primes), 14 (the cnn's
    /// and resnet-lite's), one-row images; strides 1, 2 and 3 (3 reads no phase layout); padding 0 to 2;
    /// a 5x5 and a 3x1 window, 1x1 at stride 2; depths 64 (the least taken), 72, 400, 576 and 639 (the
    /// most in one k pass); 32, 64 and 96 output channels.
    let cases: [(geometry: ConvGeometry, outChannels: Int)] = [
        (ConvGeometry(channels: 32, height: 14, width: 14, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 64),
        (ConvGeometry(channels: 64, height: 7, width: 7, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 64),
        (ConvGeometry(channels: 8, height: 3, width: 8, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 32),
        (ConvGeometry(channels: 71, height: 5, width: 13, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0), 96),
        (ConvGeometry(channels: 16, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1), 32),
        (ConvGeometry(channels: 32, height: 14, width: 14, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1), 64),
        (ConvGeometry(channels: 8, height: 9, width: 47, kernelHeight: 3, kernelWidth: 3, stride: 3, padding: 2), 32),
        (ConvGeometry(channels: 16, height: 1, width: 23, kernelHeight: 5, kernelWidth: 5, stride: 1, padding: 2), 32),
        (ConvGeometry(channels: 32, height: 4, width: 9, kernelHeight: 3, kernelWidth: 1, stride: 1, padding: 1), 32),
        (ConvGeometry(channels: 64, height: 15, width: 15, kernelHeight: 1, kernelWidth: 1, stride: 2, padding: 0), 64),
    ]

    func testPixelTilesAreBitIdenticalToIm2colThenGEMM() throws {
        guard let kernel = MicroKernel.supported.first(where: { $0.direct != nil }) else {
            throw XCTSkip("no direct tiles on this CPU")
        }
        let context = ExecutionContext(threads: 1, gemm: .tuned(for: kernel))
        for (index, (g, o)) in cases.enumerated() {
            // Three floats after each row of C stay untouched on both paths.
            assertForwardIsBitIdenticalToIm2colThenGEMM(g, outChannels: o, seeds: (UInt64(30 + index), UInt64(300 + index),
                                                        UInt64(500 + index)), context: context, pixelTiles: true, ldcPadding: 3) {
                XCTAssertTrue($0.takesPixelTiles, "\(g), out \(o): should take pixel tiles")
            }
        }
    }

    /// Which weights are packed for the pixel tile: a convolution's, in whole 32-channel blocks, depth 64
    /// up to one k pass; both sides of each switch, and never for a kernel without the tile.
    func testPixelTilesTakeWhole32ChannelBlocksOfOnePassFromDepth64() throws {
        guard let kernel = MicroKernel.supported.first(where: { $0.direct != nil }) else {
            throw XCTSkip("no direct tiles on this CPU")
        }
        let context = ExecutionContext(threads: 1, gemm: .tuned(for: kernel))
        func takes(_ m: Int, _ k: Int, _ context: ExecutionContext, asked: Bool = true) -> Bool {
            let a = [Float](repeating: 1, count: m * k)
            return a.withUnsafeBufferPointer {
                PackedA(.n, a: $0.baseAddress!, lda: k, m: m, k: k, for: context, pixelTiles: asked).takesPixelTiles
            }
        }
        XCTAssertEqual(context.gemm.kc, 640)
        XCTAssertTrue(takes(32, 64, context))
        XCTAssertFalse(takes(32, 63, context), "depth 63: shallower than the transpose pays for")
        XCTAssertTrue(takes(64, 640, context), "depth 640: one k pass")
        XCTAssertFalse(takes(64, 641, context), "depth 641: two k passes")
        XCTAssertFalse(takes(16, 144, context), "16 channels: half a block")
        XCTAssertFalse(takes(48, 144, context), "48 channels: a partial block")
        XCTAssertTrue(takes(96, 144, context))
        XCTAssertFalse(takes(64, 288, ExecutionContext(threads: 1, gemm: .tuned(for: .portable))), "no pixel tile in the kernel")
        XCTAssertFalse(takes(64, 288, context, asked: false), "not a convolution's weights")
        let a = [Float](repeating: 1, count: 64 * 288)
        XCTAssertFalse(a.withUnsafeBufferPointer {
            PackedA(.t, a: $0.baseAddress!, lda: 64, m: 64, k: 288, for: context, pixelTiles: true).takesPixelTiles
        }, "a transposed A (no convolution packs one)")
    }

    /// Narrower than a tile (6 pixels): the pack has blocks, but the layer takes another path, still
    /// bit for bit the GEMM's.
    func testOutputsNarrowerThanATileTakeTheOtherPaths() throws {
        guard let kernel = MicroKernel.supported.first(where: { $0.direct != nil }) else {
            throw XCTSkip("no direct tiles on this CPU")
        }
        let context = ExecutionContext(threads: 1, gemm: .tuned(for: kernel))
        let g = ConvGeometry(channels: 32, height: 6, width: 6, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        let x = randomArray(g.imageCount, seed: 7), w = randomArray(32 * g.colRows, seed: 8)
        let reference = conv2dReference(input: x, weight: w, bias: nil, batch: 1, outChannels: 32, geometry: g)
        var y = [Float](repeating: .nan, count: 32 * g.colColumns)
        x.withUnsafeBufferPointer { xp in
        w.withUnsafeBufferPointer { wp in
            let packed = PackedA(.n, a: wp.baseAddress!, lda: g.colRows, m: 32, k: g.colRows, for: context, pixelTiles: true)
            XCTAssertTrue(packed.takesPixelTiles)
            y.withUnsafeMutableBufferPointer {
                sgemm(packedA: packed, im2colOf: xp.baseAddress!, geometry: g, c: $0.baseAddress!, ldc: g.colColumns,
                      on: context, threads: 1)
            }
        }}
        assertClose(y, reference, "6-wide output")
    }
}
