/// `C := alpha * A * im2col(image)` for a stride-1 convolution, B read in place from the padded image.
///
/// Why: with stride 1, every im2col row is a shifted view of the zero-padded image if the output
/// columns run over the padded width: column `q = oy * Wp + x` (`Wp = W + 2p`, `x < Wp`) of row
/// `r = (c, i, j)` is `padded[c * Hp * Wp + i * Wp + j + q]`. So the micro-kernel reads each B row
/// at one offset per row (`MicroKernel.runIndirect`) and nothing is packed; the `kw - 1` extra
/// columns per output row are computed and dropped. This removed the im2col packing (7 % of a
/// cnn attack step, 14 % of a resnet-lite one). Bit-identical to the packed path: every kept
/// element sums the same products in the same k order and passes. Single-threaded (one image).
func convolveIndirect(_ run: MicroKernel.IndirectFunction, packedA: PackedA, image: UnsafePointer<Float>,
                      geometry g: ConvGeometry, alpha: Float, rowBias: UnsafePointer<Float>?,
                      c: UnsafeMutablePointer<Float>, ldc: Int, context: ExecutionContext) {
    let mr = context.gemm.kernel.mr, nr = context.gemm.kernel.nr, m = packedA.m, k = packedA.k
    let kh = g.kernelHeight, kw = g.kernelWidth
    let wp = g.width + 2 * g.padding, plane = (g.height + 2 * g.padding) * wp
    let oh = g.outHeight, ow = g.outWidth
    let panels = (oh * wp + nr - 1) / nr, ldw = panels * nr
    // The last panel reads up to `ldw` floats past the deepest row offset: zeroed slack.
    let deepest = (g.channels - 1) * plane + (kh - 1) * wp + (kw - 1)
    let paddedCount = max(g.channels * plane, deepest + ldw)
    context.workspaces.with(paddedCount) { padded in
    withUnsafeTemporaryAllocation(of: Int.self, capacity: k) { offsets in
        padImage(image, g, into: padded)
        (padded + g.channels * plane).update(repeating: 0, count: paddedCount - g.channels * plane)
        // Row r = (c, i, j) reads from c * plane + i * wp + j (nested loops: three divisions per row
        // cost 5 % of a forward pass).
        var r = 0
        for ch in 0..<g.channels {
            for i in 0..<kh {
                for j in 0..<kw {
                    offsets[r] = ch * plane + i * wp + j
                    r += 1
                }
            }
        }
        let kcEven = KPartition(k: k, kc: context.gemm.kc).kc
        // Tile by tile: the k passes accumulate in an 8x32 buffer in L1, whose kept columns then go
        // straight to the output (no image-sized buffer in L2, no second pass over it). A micro-panel
        // outer, so it stays in L1 with the padded image while the tiles sweep across the image.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: mr * nr) { tile in
            var i = 0
            while i < m {
                let rows = min(mr, m - i)
                for panel in 0..<panels {
                    var pc = 0
                    while pc < k {
                        let kc = min(kcEven, k - pc)
                        run(kc, alpha, packedA.block(row: i, pc: pc, kc: kc), padded + panel * nr, offsets.baseAddress! + pc,
                            pc == 0 ? 0 : 1, tile.baseAddress!, nr, rows, nr)
                        pc += kc
                    }
                    keepOutputColumns(panel * nr..<min((panel + 1) * nr, oh * wp), rows: i..<(i + rows),
                                      from: tile.baseAddress!, ld: nr, paddedWidth: wp, outWidth: ow,
                                      rowBias: rowBias, into: c, ldc: ldc)
                }
                i += mr
            }
        }
    }}
}

/// Copies the kept columns among padded-width columns `columns` (`q = oy * paddedWidth + x`, kept when
/// `x < outWidth`) of rows `rows` from `src` (column `columns.lowerBound` first, row stride `ld`) to
/// output element `oy * outWidth + x` of each row of `c`, adding the row's bias. The kept columns of
/// one padded row are contiguous in the output, so this is one copy per padded row touched.
@inline(__always)
func keepOutputColumns(_ columns: Range<Int>, rows: Range<Int>, from src: UnsafePointer<Float>, ld: Int,
                       paddedWidth wp: Int, outWidth ow: Int, rowBias: UnsafePointer<Float>?,
                       into c: UnsafeMutablePointer<Float>, ldc: Int) {
    var q = columns.lowerBound
    while q < columns.upperBound {
        let x = q % wp
        if x >= ow {
            q += wp - x
            continue
        }
        let count = min(ow - x, columns.upperBound - q)
        let from = src + (q - columns.lowerBound), to = c + (q / wp) * ow + x
        for (t, row) in rows.enumerated() {
            if let rowBias {
                copyFloats(to + row * ldc, from + t * ld, count, plus: rowBias[row])
            } else {
                copyFloats(to + row * ldc, from + t * ld, count)
            }
        }
        q += count
    }
}
