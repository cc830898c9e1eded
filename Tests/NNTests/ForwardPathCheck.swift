import Kernels
import XCTest
import _TestSupport

/// Checks one image's `sgemm(packedA:im2colOf:)` (whichever path the pack and geometry choose) against
/// im2col, the plain GEMM and the bias added per row, bit for bit (the paths share the GEMM tile's FMA
/// chain), at alpha 1 and 0.75, with and without a bias; and at alpha 1 against the naive convolution
/// within rounding. `ldcPadding` floats after each row of C must stay untouched (NaN) on both paths.
/// `inspect` sees the pack, to check which path it takes.
func assertForwardIsBitIdenticalToIm2colThenGEMM(
    _ g: ConvGeometry, outChannels o: Int, seeds: (x: UInt64, w: UInt64, bias: UInt64), context: ExecutionContext,
    pixelTiles: Bool, ldcPadding: Int = 0, inspect: (PackedA) -> Void = { _ in },
    file: StaticString = #filePath, line: UInt = #line
) {
    let x = randomArray(g.imageCount, seed: seeds.x), w = randomArray(o * g.colRows, seed: seeds.w)
    let bias = randomArray(o, seed: seeds.bias)
    let n = g.colColumns, ldc = n + ldcPadding
    for (alpha, withBias) in [(Float(1), false), (1, true), (0.75, true)] {
        var col = [Float](repeating: .nan, count: g.colRows * n)
        var expected = [Float](repeating: .nan, count: o * ldc)
        var actual = [Float](repeating: .nan, count: o * ldc)
        x.withUnsafeBufferPointer { xp in
        w.withUnsafeBufferPointer { wp in
        bias.withUnsafeBufferPointer { bp in
            let packed = PackedA(.n, a: wp.baseAddress!, lda: g.colRows, m: o, k: g.colRows, for: context, pixelTiles: pixelTiles)
            inspect(packed)
            col.withUnsafeMutableBufferPointer { cp in
                im2col(xp.baseAddress!, g, into: cp.baseAddress!)
                expected.withUnsafeMutableBufferPointer { ep in
                    sgemm(packedA: packed, .n, n: n, alpha: alpha, b: cp.baseAddress!, ldb: n, c: ep.baseAddress!, ldc: ldc,
                          on: context, threads: 1)
                }
            }
            if withBias {
                for i in 0..<o { for j in 0..<n { expected[i * ldc + j] += bias[i] } }
            }
            actual.withUnsafeMutableBufferPointer { ap in
                sgemm(packedA: packed, im2colOf: xp.baseAddress!, geometry: g, alpha: alpha, rowBias: withBias ? bp.baseAddress! : nil,
                      c: ap.baseAddress!, ldc: ldc, on: context, threads: 1)
            }
        }}}
        XCTAssertNil(firstBitDifference(actual, expected), "geometry \(g), out \(o), alpha \(alpha), bias \(withBias)",
                     file: file, line: line)
        if alpha == 1 {
            let reference = conv2dReference(input: x, weight: w, bias: withBias ? bias : nil, batch: 1, outChannels: o, geometry: g)
            let kept = (0..<o).flatMap { actual[($0 * ldc)..<($0 * ldc + n)] }
            assertClose(kept, reference, "geometry \(g) against the naive convolution", file: file, line: line)
        }
    }
}

/// The first index where two arrays differ in any bit (nil when identical; -1 for different lengths), so
/// a failure names one element instead of printing both arrays.
func firstBitDifference(_ a: [Float], _ b: [Float]) -> Int? {
    guard a.count == b.count else { return -1 }
    return a.indices.first { a[$0].bitPattern != b[$0].bitPattern }
}
