/// `C := alpha * A * im2col(image)` for a convolution, B read in place from the padded image.
///
/// Why: with stride 1, every im2col row is a shifted view of the zero-padded image if the output
/// columns run over the padded width: column `q = oy * Wp + x` (`Wp = W + 2p`, `x < Wp`) of row
/// `r = (c, i, j)` is `padded[c * Hp * Wp + i * Wp + j + q]`. So the micro-kernel reads each B row
/// at one offset per row (`MicroKernel.runIndirect`) and nothing is packed; the `kw - 1` extra
/// columns per output row are computed and dropped. This removed the im2col packing (7 % of a
/// cnn attack step, 14 % of a resnet-lite one). Bit-identical to the packed path: every kept
/// element sums the same products in the same k order and passes. Single-threaded (one image).
///
/// Stride `s > 1` becomes the same shifted-view product over the image's `s x s` phases
/// (`PhaseLayout`): tap `(i, j)` of output `(oy, ox)` is element `(oy + i / s, ox + j / s)` of
/// phase `(i % s, j % s)`, so a row's offset moves into that phase and the columns run over the
/// phase width. Why: the packed path gathered a strided im2col for every B panel, and ran
/// resnet-lite's stride-2 layers at half the speed of its stride-1 ones.
func convolveIndirect(_ run: MicroKernel.IndirectFunction, packedA: PackedA, image: UnsafePointer<Float>,
                      geometry g: ConvGeometry, alpha: Float, rowBias: UnsafePointer<Float>?,
                      c: UnsafeMutablePointer<Float>, ldc: Int, context: ExecutionContext) {
    let mr = context.gemm.kernel.mr, nr = context.gemm.kernel.nr, m = packedA.m, k = packedA.k
    let kh = g.kernelHeight, kw = g.kernelWidth, s = g.stride
    let layout = PhaseLayout(g)
    let wq = layout.width, oh = g.outHeight, ow = g.outWidth
    let panels = (oh * wq + nr - 1) / nr, ldw = panels * nr
    // The last panel reads up to `ldw` floats past the deepest row offset: zeroed slack. (With
    // phases, the last tap is not always the deepest: tap (2, 2) at stride 2 reads phase (0, 0).)
    var deepest = 0
    for i in 0..<kh { for j in 0..<kw { deepest = max(deepest, layout.offset(channel: g.channels - 1, row: i, column: j)) } }
    let paddedCount = max(layout.count, deepest + ldw)
    context.workspaces.with(paddedCount) { padded in
    withUnsafeTemporaryAllocation(of: Int.self, capacity: k) { offsets in
        if s == 1 { padImage(image, g, into: padded) } else { layout.fill(from: image, g, into: padded) }
        (padded + layout.count).update(repeating: 0, count: paddedCount - layout.count)
        // Row r = (c, i, j) reads from its phase's plane of channel c at (i / s, j / s) (nested
        // loops: three divisions per row cost 5 % of a forward pass).
        var r = 0
        for ch in 0..<g.channels {
            for i in 0..<kh {
                for j in 0..<kw {
                    offsets[r] = layout.offset(channel: ch, row: i, column: j)
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
                    keepOutputColumns(panel * nr..<min((panel + 1) * nr, oh * wq), rows: i..<(i + rows),
                                      from: tile.baseAddress!, ld: nr, paddedWidth: wq, outWidth: ow,
                                      rowBias: rowBias, into: c, ldc: ldc)
                }
                i += mr
            }
        }
    }}
}

/// The zero-padded image split into its stride's phases: phase `(a, b)` holds padded pixels
/// `(s * y + a, s * x + b)`, laid out `[phase][channel][height][width]`, each phase
/// `ceil(Hp / s) x ceil(Wp / s)` (cells past the padded image are zero). For windows at least
/// the stride, so that every phase is read. Stride 1 is the padded image itself.
struct PhaseLayout {
    let stride: Int
    let height: Int, width: Int
    let plane: Int, phaseCount: Int

    init(_ g: ConvGeometry) {
        let s = g.stride
        precondition(g.kernelHeight >= s && g.kernelWidth >= s, "PhaseLayout: a window narrower than the stride \(g)")
        stride = s
        height = (g.height + 2 * g.padding + s - 1) / s
        width = (g.width + 2 * g.padding + s - 1) / s
        plane = height * width
        phaseCount = g.channels * plane
    }

    /// Floats the phases take.
    var count: Int { stride * stride * phaseCount }

    /// Where tap `(row, column)` of channel `channel` reads for output `(0, 0)`.
    @inline(__always)
    func offset(channel: Int, row i: Int, column j: Int) -> Int {
        ((i % stride) * stride + j % stride) * phaseCount + channel * plane + (i / stride) * width + j / stride
    }

    /// Writes the phases of `image` (`C x H x W`, unpadded) into `dst` (`count` floats).
    ///
    /// Row by row through a padded copy of the source row; stride 2 splits it into its even and odd
    /// columns four at a time (element by element, the split took 14 % of a stride-2 layer's time).
    func fill(from image: UnsafePointer<Float>, _ g: ConvGeometry, into dst: UnsafeMutablePointer<Float>) {
        let p = g.padding, h = g.height, w = g.width, s = stride
        let lineCount = s * width + 8
        withUnsafeTemporaryAllocation(of: Float.self, capacity: lineCount) { buffer in
            let line = buffer.baseAddress!
            zeroFloats(line, lineCount)
            for ch in 0..<g.channels {
                for a in 0..<s {
                    let out = dst + a * s * phaseCount + ch * plane
                    for y in 0..<height {
                        let sourceRow = s * y + a - p, first = out + y * width
                        guard sourceRow >= 0, sourceRow < h else {
                            for b in 0..<s { zeroFloats(first + b * phaseCount, width) }
                            continue
                        }
                        // The line's border stays zero: only the image's columns are rewritten.
                        copyFloats(line + p, image + (ch * h + sourceRow) * w, w)
                        var x = 0
                        if s == 2 {
                            let raw = UnsafeRawPointer(line)
                            while x + 4 <= width {
                                let v = raw.loadUnaligned(fromByteOffset: 8 &* x, as: SIMD8<Float>.self)
                                UnsafeMutableRawPointer(first + x).storeBytes(of: v.evenHalf, as: SIMD4<Float>.self)
                                UnsafeMutableRawPointer(first + phaseCount + x).storeBytes(of: v.oddHalf, as: SIMD4<Float>.self)
                                x += 4
                            }
                        }
                        for b in 0..<s {
                            let row = first + b * phaseCount
                            for xx in x..<width { row[xx] = line[s &* xx &+ b] }
                        }
                    }
                }
            }
        }
    }
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
