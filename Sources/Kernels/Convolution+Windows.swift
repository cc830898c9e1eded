/// The weight gradient's GEMM, `dW'[O, K] = dY[O, OH*OW] * windows`, with B packed from a channels-last image.
///
/// `windows[s, r]` for output position `s = oy*OW + ox` and `r = (i*kw + j)*C + c` is the input value
/// under kernel tap `(i, j)` of channel `c`: `x[c, oy*stride - p + i, ox*stride - p + j]` (zero in the
/// padding). It is `im2col(x)` transposed with its rows in `(i, j, c)` order, so dW' is the weight
/// gradient in `[O, kh, kw, C]` order (`Conv2d` permutes it once per batch).
///
/// Why: the GEMM reduces over output positions, so a B micro-panel row is `nr` window values of one
/// position. From the NCHW image those are `nr` scattered floats (im2col, then a transposing pack, was
/// 20 % of a resnet-lite training step); from a channels-last copy of the padded image they are runs
/// of `C` contiguous floats, packed with a few vector copies. The copy costs one pass over the image.
public func sgemm(
    a: UnsafePointer<Float>, lda: Int, m: Int,
    windowsOfChannelsLast image: UnsafePointer<Float>, geometry g: ConvGeometry,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    on context: ExecutionContext, threads: Int? = nil
) {
    let threads = threads ?? context.threads
    // In place when a kernel row's window values fill a micro-panel (narrower groups, such as a
    // one-channel first layer's 3, would leave most of every tile empty: packing them is cheaper).
    if let runIndirect = context.gemm.kernel.runIndirect, threads == 1, g.kernelWidth * g.channels >= context.gemm.kernel.nr {
        windowsInPlace(runIndirect, a: a, lda: lda, m: m, image: image, g, beta: beta, c: c, ldc: ldc, context: context)
        return
    }
    gemmDriver(.raw(.n, a, lda), .windowsChannelsLast(image, g), m: m, n: g.colRows, k: g.colColumns, alpha: 1,
               beta: beta, c: c, ldc: ldc, threads: threads, context: context)
}

/// Floats to allocate for `padImageChannelsLast`: `(H+2p) * (W+2p) * C` and a zeroed slack that the
/// in-place kernel reads past the last window (its B rows are always a whole micro-panel wide).
public func channelsLastPaddedCount(_ g: ConvGeometry) -> Int {
    (g.height + 2 * g.padding) * (g.width + 2 * g.padding) * g.channels + channelsLastSlack
}

private let channelsLastSlack = 64

/// The window GEMM with B rows read in place: for a fixed kernel row `i`, the `kw * C` window values
/// of one output position are contiguous in the channels-last image, so each `nr`-wide column panel
/// of that group is one offset per position from the window's corner, and nothing of B is packed.
/// Same products, k passes and order as the packed path (the results are bit-identical).
private func windowsInPlace(_ run: MicroKernel.IndirectFunction, a: UnsafePointer<Float>, lda: Int, m: Int,
                            image: UnsafePointer<Float>, _ g: ConvGeometry, beta: Float,
                            c: UnsafeMutablePointer<Float>, ldc: Int, context: ExecutionContext) {
    let mr = context.gemm.kernel.mr, nr = context.gemm.kernel.nr
    let k = g.colColumns, ch = g.channels, group = g.kernelWidth * ch
    let wp = g.width + 2 * g.padding, ow = g.outWidth, s = g.stride
    let kcEven = KPartition(k: k, kc: context.gemm.kc).kc
    let rowPanels = (m + mr - 1) / mr
    context.workspaces.with(rowPanels * mr * kcEven) { packedA in
    withUnsafeTemporaryAllocation(of: Int.self, capacity: k) { corners in
        for pos in 0..<k {
            let oy = pos / ow, ox = pos - oy * ow
            corners[pos] = (oy * s * wp + ox * s) * ch
        }
        var pc = 0
        while pc < k {
            let kc = min(kcEven, k - pc)
            packA(.n, a: a, lda: lda, row: 0, col: pc, rows: m, kc: kc, mr: mr, into: packedA)
            let betaNow: Float = pc == 0 ? beta : 1
            for i in 0..<g.kernelHeight {
                var q = 0
                while q < group {
                    let cols = min(nr, group - q)
                    let b = image + (i * wp * ch + q)
                    var row = 0
                    while row < m {
                        run(kc, 1, packedA + (row / mr) * kc * mr, b, corners.baseAddress! + pc, betaNow,
                            c + row * ldc + i * group + q, ldc, min(mr, m - row), cols)
                        row += mr
                    }
                    q += nr
                }
            }
            pc += kc
        }
    }}
}

/// Copies one `C x H x W` image into `(H+2p) x (W+2p) x C` (channels last) with a zero border.
///
/// A transpose, in 4 x 4 blocks (four channels' runs of four pixels loaded as vectors, written back
/// as four pixels' runs of four channels): element by element it cost 2.5-7x a plain copy of the
/// image, and 4 % of a resnet-lite training step.
public func padImageChannelsLast(_ image: UnsafePointer<Float>, _ g: ConvGeometry, into dst: UnsafeMutablePointer<Float>) {
    let p = g.padding, w = g.width, wp = w + 2 * p, ch = g.channels, hw = g.height * w
    zeroFloats(dst, p * wp * ch)
    for y in 0..<g.height {
        let row = dst + (y + p) * wp * ch + p * ch, src = image + y * w
        zeroFloats(row - p * ch, p * ch)
        if w >= 4 && ch >= 4 {
            // The last block of a row (of channels) overlaps the one before when 4 does not divide
            // the width (channels): it writes some values twice, and needs no scalar tail.
            var x = 0
            while true {
                let x0 = min(x, w &- 4)
                var c = 0
                while true {
                    let c0 = min(c, ch &- 4)
                    transpose4x4(src + (c0 &* hw &+ x0), stride: hw, into: row + (x0 &* ch &+ c0), stride: ch)
                    if c0 == ch &- 4 { break }
                    c &+= 4
                }
                if x0 == w &- 4 { break }
                x &+= 4
            }
        } else {
            for x in 0..<w {
                for c in 0..<ch { row[x &* ch &+ c] = src[c &* hw &+ x] }
            }
        }
        zeroFloats(row + w * ch, p * ch)
    }
    zeroFloats(dst + (p + g.height) * wp * ch, p * wp * ch + channelsLastSlack)
}

/// `dst[j * dstStride + i] = src[i * srcStride + j]` for i, j in 0..<4.
@inline(__always)
private func transpose4x4(_ src: UnsafePointer<Float>, stride srcStride: Int,
                          into dst: UnsafeMutablePointer<Float>, stride dstStride: Int) {
    let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
    let r0 = s.loadUnaligned(as: SIMD4<Float>.self)
    let r1 = s.loadUnaligned(fromByteOffset: srcStride &* 4, as: SIMD4<Float>.self)
    let r2 = s.loadUnaligned(fromByteOffset: srcStride &* 8, as: SIMD4<Float>.self)
    let r3 = s.loadUnaligned(fromByteOffset: srcStride &* 12, as: SIMD4<Float>.self)
    // Interleave pairs of rows, then pairs of pairs (unpcklps/unpckhps, movlhps/movhlps).
    let a0 = SIMD4(r0[0], r1[0], r0[1], r1[1]), a1 = SIMD4(r0[2], r1[2], r0[3], r1[3])
    let b0 = SIMD4(r2[0], r3[0], r2[1], r3[1]), b1 = SIMD4(r2[2], r3[2], r2[3], r3[3])
    d.storeBytes(of: SIMD4(a0[0], a0[1], b0[0], b0[1]), as: SIMD4<Float>.self)
    d.storeBytes(of: SIMD4(a0[2], a0[3], b0[2], b0[3]), toByteOffset: dstStride &* 4, as: SIMD4<Float>.self)
    d.storeBytes(of: SIMD4(a1[0], a1[1], b1[0], b1[1]), toByteOffset: dstStride &* 8, as: SIMD4<Float>.self)
    d.storeBytes(of: SIMD4(a1[2], a1[3], b1[2], b1[3]), toByteOffset: dstStride &* 12, as: SIMD4<Float>.self)
}

/// Rows `rows` (output positions) and columns `columns` (`(i*kw + j)*C + c`) of the window matrix of a
/// channels-last padded image, as a `[rows.count, ld]` panel; columns past `columns` are zero.
@inline(__always)
func windowsPanel(channelsLast image: UnsafePointer<Float>, _ g: ConvGeometry, rows: Range<Int>, columns: Range<Int>,
                  into dst: UnsafeMutablePointer<Float>, ld: Int) {
    let ch = g.channels, kw = g.kernelWidth, wp = g.width + 2 * g.padding, ow = g.outWidth, s = g.stride
    // The columns cut into runs of contiguous channels, each at one offset from the window's corner.
    withUnsafeTemporaryAllocation(of: (dst: Int, src: Int, count: Int).self, capacity: columns.count + 1) { runs in
        var runCount = 0
        var r = columns.lowerBound
        while r < columns.upperBound {
            let tap = r / ch, c = r - tap * ch, i = tap / kw, j = tap - i * kw
            let count = min(ch - c, columns.upperBound - r)
            let src = (i * wp + j) * ch + c
            // Taps (i, j) and (i, j + 1) are neighbours in a channels-last row: one longer run.
            if runCount > 0, runs[runCount - 1].src + runs[runCount - 1].count == src {
                runs[runCount - 1].count += count
            } else {
                runs[runCount] = (dst: r - columns.lowerBound, src: src, count: count)
                runCount += 1
            }
            r += count
        }
        let width = columns.count
        var oy = rows.lowerBound / ow, ox = rows.lowerBound - oy * ow
        var out = dst
        for _ in rows {
            let corner = image + (oy * s * wp + ox * s) * ch
            for t in 0..<runCount {
                let run = runs[t]
                copyFloats(out + run.dst, corner + run.src, run.count)
            }
            if width < ld { zeroFloats(out + width, ld - width) }
            out += ld
            ox += 1
            if ox == ow { ox = 0; oy += 1 }
        }
    }
}
