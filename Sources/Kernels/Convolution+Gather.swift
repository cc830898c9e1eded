/// The input-gradient fold of a stride-1 convolution, gathering: writes (does not add) every pixel of one
/// `C x H x W` image from its whole `[C*kh*kw, OH*OW]` column matrix (`ld = OH*OW`).
///
/// Why: `col2im` scatters one row segment per kernel tap into the image (for 3x3, nine
/// read-modify-write passes over a zeroed image, with index arithmetic per run). Here each pixel sums its
/// taps in registers and is stored once, and the image needs no zero fill. The taps are summed in the
/// same `(i, j)` order starting from 0, so the result is bit-identical to `col2im` into zeros.
public func col2imGather(_ col: UnsafePointer<Float>, _ g: ConvGeometry, into image: UnsafeMutablePointer<Float>) {
    precondition(g.stride == 1, "col2imGather: stride \(g.stride), needs 1")
    let h = g.height, w = g.width, oh = g.outHeight, ow = g.outWidth, kh = g.kernelHeight, kw = g.kernelWidth
    let p = g.padding, ld = oh * ow
    // Pixels x in lo..<hi are inside every tap's window row (0 <= x + p - j < OW for all j).
    let lo = min(w, max(0, kw - 1 - p)), hi = max(lo, min(w, ow - p))
    withUnsafeTemporaryAllocation(of: (row: UnsafePointer<Float>, j: Int).self, capacity: kh * kw) { taps in
        for c in 0..<g.channels {
            for y in 0..<h {
                // The taps that reach row y, each as a pointer such that tap.row[x] is its term for pixel x.
                var n = 0
                for i in 0..<kh {
                    let oy = y + p - i
                    guard oy >= 0 && oy < oh else { continue }
                    for j in 0..<kw {
                        taps[n] = (row: col + (((c * kh + i) * kw + j) * ld + oy * ow + p - j), j: j)
                        n += 1
                    }
                }
                let dst = image + (c * h + y) * w
                for x in 0..<lo { dst[x] = edgeSum(taps, n, x: x, p: p, ow: ow) }
                var x = lo
                while x + 8 <= hi {
                    var acc = SIMD8<Float>()
                    for t in 0..<n { acc += UnsafeRawPointer(taps[t].row + x).loadUnaligned(as: SIMD8<Float>.self) }
                    UnsafeMutableRawPointer(dst + x).storeBytes(of: acc, as: SIMD8<Float>.self)
                    x &+= 8
                }
                while x < hi {
                    var acc: Float = 0
                    for t in 0..<n { acc += taps[t].row[x] }
                    dst[x] = acc
                    x &+= 1
                }
                for x in hi..<w { dst[x] = edgeSum(taps, n, x: x, p: p, ow: ow) }
            }
        }
    }
}

/// One border pixel's sum over the taps whose window column `x + p - j` exists.
@inline(__always)
private func edgeSum(_ taps: UnsafeMutableBufferPointer<(row: UnsafePointer<Float>, j: Int)>, _ n: Int,
                     x: Int, p: Int, ow: Int) -> Float {
    var acc: Float = 0
    for t in 0..<n {
        let ox = x + p - taps[t].j
        if ox >= 0 && ox < ow { acc += taps[t].row[x] }
    }
    return acc
}
