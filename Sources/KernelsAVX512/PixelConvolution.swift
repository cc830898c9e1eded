/// The pixel tile: 7 output pixels of one row x 32 output channels, the channels in the vector lanes,
/// stored straight to the output planes.
///
/// For `j < rows`, `p < 7`: `out[j * ldo + p] = alpha * sum_q w[q * 32 + j] * source[offsets[q] + p * stride]
/// (+ rowBias[j])`, the sum one FMA chain from zero in q order whose products are weight times pixel,
/// scaled and biased as the GEMM tile's copy-out does: bit for bit `multiply8x32`'s result whenever
/// that tile takes the depth in one pass. `w` is 64-byte aligned, `k` rows of 32 weights.
///
/// Why: the in-place GEMM tile puts 32 consecutive padded-row positions in its lanes, so it also
/// computes the `kw - 1` padding columns of every output row (12.5 % of its work at 14x14, 23 % at
/// 7x7) and needs the image split into phases for a stride. Broadcasting pixels into channel lanes
/// computes only real outputs, at any stride, from the padded image in place.
@inline(never) @Sendable
public func pixelTileAVX512(
    _ k: Int, _ alpha: Float, _ w: UnsafePointer<Float>, _ source: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>,
    _ stride: Int, _ rowBias: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>, _ ldo: Int, _ rows: Int
) {
    // Constant pixel steps let every broadcast address be one register plus a displacement.
    if stride == 1 {
        pixelTile(k, alpha, w, source, offsets, 1, rowBias, out, ldo, rows)
    } else if stride == 2 {
        pixelTile(k, alpha, w, source, offsets, 2, rowBias, out, ldo, rows)
    } else {
        pixelTile(k, alpha, w, source, offsets, stride, rowBias, out, ldo, rows)
    }
}

@inline(__always)
private func pixelTile(
    _ k: Int, _ alpha: Float, _ w: UnsafePointer<Float>, _ source: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>,
    _ s: Int, _ rowBias: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>, _ ldo: Int, _ rows: Int
) {
    typealias V = SIMD16<Float>
    // 14 accumulators: pixel p's channels 0-15 in ap0, 16-31 in ap1.
    var a00 = V(), a01 = V(), a10 = V(), a11 = V(), a20 = V(), a21 = V(), a30 = V(), a31 = V()
    var a40 = V(), a41 = V(), a50 = V(), a51 = V(), a60 = V(), a61 = V()
    let weights = UnsafeRawPointer(w)
    for q in 0..<k {
        let w0 = weights.load(fromByteOffset: q &* 128, as: V.self)
        let w1 = weights.load(fromByteOffset: q &* 128 &+ 64, as: V.self)
        let x = source + offsets[q]
        var v = V(repeating: x[0])
        a00 = a00.addingProduct(w0, v); a01 = a01.addingProduct(w1, v)
        v = V(repeating: x[s])
        a10 = a10.addingProduct(w0, v); a11 = a11.addingProduct(w1, v)
        v = V(repeating: x[2 &* s])
        a20 = a20.addingProduct(w0, v); a21 = a21.addingProduct(w1, v)
        v = V(repeating: x[3 &* s])
        a30 = a30.addingProduct(w0, v); a31 = a31.addingProduct(w1, v)
        v = V(repeating: x[4 &* s])
        a40 = a40.addingProduct(w0, v); a41 = a41.addingProduct(w1, v)
        v = V(repeating: x[5 &* s])
        a50 = a50.addingProduct(w0, v); a51 = a51.addingProduct(w1, v)
        v = V(repeating: x[6 &* s])
        a60 = a60.addingProduct(w0, v); a61 = a61.addingProduct(w1, v)
    }
    // Pixel-major in a small buffer, then each channel's 7 pixels to its plane (the transpose).
    withUnsafeTemporaryAllocation(of: V.self, capacity: 14) { t in
        t[0] = a00 * alpha; t[1] = a01 * alpha; t[2] = a10 * alpha; t[3] = a11 * alpha
        t[4] = a20 * alpha; t[5] = a21 * alpha; t[6] = a30 * alpha; t[7] = a31 * alpha
        t[8] = a40 * alpha; t[9] = a41 * alpha; t[10] = a50 * alpha; t[11] = a51 * alpha
        t[12] = a60 * alpha; t[13] = a61 * alpha
        UnsafeRawPointer(t.baseAddress!).withMemoryRebound(to: Float.self, capacity: 7 * 32) { tile in
            for j in 0..<rows {
                let dst = out + j &* ldo
                if let rowBias {
                    let b = rowBias[j]
                    for p in 0..<7 { dst[p] = tile[p &* 32 &+ j] + b }
                } else {
                    for p in 0..<7 { dst[p] = tile[p &* 32 &+ j] }
                }
            }
        }
    }
}
