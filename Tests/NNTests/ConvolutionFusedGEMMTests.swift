import Kernels
import XCTest
import _TestSupport

/// `sgemm(packedA:im2colOf:...)` (im2col packed inside the GEMM, or with one thread on AVX-512 read
/// in place by the indirect micro-kernel: stride 1 with padding, or strided over the image's phases) against im2col followed by the plain
/// GEMM: the same products, k order and passes, so the results must agree bit for bit.
final class ConvolutionFusedGEMMTests: XCTestCase {
    /// Awkward shapes: one channel, primes, odd sizes, stride 2, padding 0/1/2, k deep enough for
    /// two passes (C*kh*kw > kc) and panels that straddle output rows.
    let cases: [(geometry: ConvGeometry, outChannels: Int)] = [
        (ConvGeometry(channels: 1, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 32),
        (ConvGeometry(channels: 3, height: 7, width: 11, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0), 5),
        (ConvGeometry(channels: 2, height: 13, width: 5, kernelHeight: 3, kernelWidth: 2, stride: 2, padding: 2), 7),
        (ConvGeometry(channels: 5, height: 9, width: 9, kernelHeight: 5, kernelWidth: 5, stride: 2, padding: 1), 3),
        (ConvGeometry(channels: 64, height: 7, width: 7, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 13),
        (ConvGeometry(channels: 32, height: 14, width: 14, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1), 17),
        (ConvGeometry(channels: 4, height: 6, width: 6, kernelHeight: 1, kernelWidth: 1, stride: 2, padding: 0), 9),
        (ConvGeometry(channels: 1, height: 1, width: 1, kernelHeight: 1, kernelWidth: 1, stride: 1, padding: 2), 1),
        (ConvGeometry(channels: 75, height: 6, width: 5, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1), 11),
        (ConvGeometry(channels: 2, height: 9, width: 10, kernelHeight: 2, kernelWidth: 5, stride: 1, padding: 2), 19),
        // Stride 1 in place with padding kw - 1 (output rows wider than the image), padding past the
        // window (output pixels that see only zeros), a 3x1 window.
        (ConvGeometry(channels: 3, height: 5, width: 6, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 2), 9),
        (ConvGeometry(channels: 2, height: 4, width: 3, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 3), 8),
        (ConvGeometry(channels: 17, height: 7, width: 7, kernelHeight: 3, kernelWidth: 1, stride: 1, padding: 1), 33),
        // Strides read phase planes in place when the window is at least the stride: stride 3, one-pixel
        // images whose odd phases lie wholly in the padding, and resnet-lite's strided layers; a kernel
        // narrower than the stride (2x1 at stride 3, 1x1 at stride 2) takes the packed path.
        (ConvGeometry(channels: 3, height: 11, width: 8, kernelHeight: 3, kernelWidth: 3, stride: 3, padding: 1), 5),
        (ConvGeometry(channels: 4, height: 9, width: 7, kernelHeight: 2, kernelWidth: 1, stride: 3, padding: 0), 6),
        (ConvGeometry(channels: 3, height: 1, width: 1, kernelHeight: 2, kernelWidth: 2, stride: 2, padding: 1), 2),
        (ConvGeometry(channels: 16, height: 28, width: 28, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1), 32),
        (ConvGeometry(channels: 16, height: 28, width: 28, kernelHeight: 1, kernelWidth: 1, stride: 2, padding: 0), 32),
    ]

    func testFusedIm2colGEMMIsBitIdenticalToIm2colThenGEMM() {
        for (index, (g, o)) in cases.enumerated() {
            let x = randomArray(g.imageCount, seed: UInt64(10 + index))
            let w = randomArray(o * g.colRows, seed: UInt64(100 + index))
            let n = g.colColumns
            var col = [Float](repeating: .nan, count: g.colRows * n)
            var expected = [Float](repeating: .nan, count: o * n)
            var fused = [Float](repeating: .nan, count: o * n)
            x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                let packed = PackedA(.n, a: wp.baseAddress!, lda: g.colRows, m: o, k: g.colRows, for: testContext)
                col.withUnsafeMutableBufferPointer { cp in
                    im2col(xp.baseAddress!, g, into: cp.baseAddress!)
                    expected.withUnsafeMutableBufferPointer { ep in
                        sgemm(packedA: packed, .n, n: n, b: cp.baseAddress!, ldb: n, c: ep.baseAddress!, ldc: n, on: testContext, threads: 1)
                    }
                }
                for threads in [1, 2] {
                    fused.withUnsafeMutableBufferPointer { fp in
                        sgemm(packedA: packed, im2colOf: xp.baseAddress!, geometry: g, c: fp.baseAddress!, ldc: n, on: testContext, threads: threads)
                    }
                    XCTAssertEqual(fused, expected, "geometry \(g), out \(o), threads \(threads)")
                }
            }}
            let reference = conv2dReference(input: x, weight: w, bias: nil, batch: 1, outChannels: o, geometry: g)
            assertClose(fused, reference,
                        "geometry \(g) against the direct convolution")
        }
    }

    /// Row ranges that start mid-channel (a second k pass) and column ranges that straddle rows.
    func testIm2colRowAndColumnRangesMatchTheFullMatrix() {
        let g = ConvGeometry(channels: 3, height: 5, width: 7, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        let x = randomArray(g.imageCount, seed: 7)
        var full = [Float](repeating: .nan, count: g.colRows * g.colColumns)
        x.withUnsafeBufferPointer { xp in
            full.withUnsafeMutableBufferPointer { im2col(xp.baseAddress!, g, into: $0.baseAddress!) }
            for (rows, columns) in [(4..<23, 3..<30), (0..<27, 0..<35), (13..<14, 34..<35)] {
                var part = [Float](repeating: .nan, count: rows.count * columns.count)
                part.withUnsafeMutableBufferPointer {
                    im2col(xp.baseAddress!, g, rows: rows, columns: columns, into: $0.baseAddress!, ld: columns.count)
                }
                for (r, row) in rows.enumerated() {
                    for (c, column) in columns.enumerated() {
                        XCTAssertEqual(part[r * columns.count + c], full[row * g.colColumns + column], "row \(row) column \(column)")
                    }
                }
            }
        }
    }
}
