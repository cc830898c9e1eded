/// Direct-convolution tiles (see Kernels/Convolution+Direct.swift): a forward tile that stores 8 output
/// channels x 2 vectors of 16 columns straight to the output (first layers, and deeper layers whose
/// output rows the vectors cover well), and the nine-row W^T dY tile of a first layer's input
/// gradient. Both read their source in place.

/// Forward: for `r < rows` and each vector `v` (source start `s_v`, output start `d_v`),
/// `out[r * ldo + d_v ..< +16] = alpha * sum_p a[p * 8 + r] * source[offsets[p] + s_v ..< +16] (+ rowBias[r])`.
///
/// `a` is an 8-row micro-panel of packed A (`k` groups of 8 floats). The sums are the GEMM tile's
/// (`multiply8x32`), scaled and biased as its copy-out does, so results are bit for bit those of
/// `sgemmMicroKernelAVX512Indirect` plus `keepOutputColumns` when `k` fits one pass.
@inline(never) @Sendable
public func directConvolutionAVX512(
    _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ source: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>,
    _ s0: Int, _ s1: Int, _ rowBias: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>, _ ldo: Int,
    _ d0: Int, _ d1: Int, _ rows: Int
) {
    typealias V = SIMD16<Float>
    let base = UnsafeRawPointer(source), b0Offset = s0 &* 4, b1Offset = s1 &* 4
    let t = multiply8x32(k, a) { p in
        let row = base + offsets[p] &* 4
        return (row.loadUnaligned(fromByteOffset: b0Offset, as: V.self), row.loadUnaligned(fromByteOffset: b1Offset, as: V.self))
    }
    let o = UnsafeMutableRawPointer(out), rowBytes = ldo &* 4, e0 = d0 &* 4, e1 = d1 &* 4
    @inline(__always) func put(_ lo: V, _ hi: V, _ r: Int) {
        var x = lo * alpha, y = hi * alpha
        if let rowBias {
            let b = V(repeating: rowBias[r])
            x += b
            y += b
        }
        let dst = o + r &* rowBytes
        dst.storeBytes(of: x, toByteOffset: e0, as: V.self)
        dst.storeBytes(of: y, toByteOffset: e1, as: V.self)
    }
    put(t.c00, t.c01, 0)
    if rows > 1 { put(t.c10, t.c11, 1) }
    if rows > 2 { put(t.c20, t.c21, 2) }
    if rows > 3 { put(t.c30, t.c31, 3) }
    if rows > 4 { put(t.c40, t.c41, 4) }
    if rows > 5 { put(t.c50, t.c51, 5) }
    if rows > 6 { put(t.c60, t.c61, 6) }
    if rows > 7 { put(t.c70, t.c71, 7) }
}

/// One input channel's nine 3x3-tap rows of W^T dY for 32 output positions, dY read in place:
/// `c[t * ldc + j] = sum over o < depth (one FMA chain from 0, o in order) of w[o * 9 + t] * b[o * ldb + j]`
/// for `t < 9`, `j < 32`.
///
/// Why: the input gradient of a first layer (1-3 channels) is W^T dY, 9 rows per channel, then a
/// fold; the 8-row GEMM tile computed it as 16 rows, packing dY first. 18 accumulators hold the
/// tile; each step loads two dY vectors for 18 FMAs. Each element is the GEMM tile's FMA chain.
@inline(never) @Sendable
public func nineTapColumnsAVX512(
    _ depth: Int, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ ldb: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int
) {
    typealias V = SIMD16<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V(), c40 = V(), c41 = V()
    var c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V(), c80 = V(), c81 = V()
    var row = UnsafeRawPointer(b)
    let rowBytes = ldb &* 4
    var pw = w
    for _ in 0..<depth {
        let b0 = row.loadUnaligned(as: V.self)
        let b1 = row.loadUnaligned(fromByteOffset: 64, as: V.self)
        var av = V(repeating: pw[0])
        c00 = c00.addingProduct(av, b0); c01 = c01.addingProduct(av, b1)
        av = V(repeating: pw[1])
        c10 = c10.addingProduct(av, b0); c11 = c11.addingProduct(av, b1)
        av = V(repeating: pw[2])
        c20 = c20.addingProduct(av, b0); c21 = c21.addingProduct(av, b1)
        av = V(repeating: pw[3])
        c30 = c30.addingProduct(av, b0); c31 = c31.addingProduct(av, b1)
        av = V(repeating: pw[4])
        c40 = c40.addingProduct(av, b0); c41 = c41.addingProduct(av, b1)
        av = V(repeating: pw[5])
        c50 = c50.addingProduct(av, b0); c51 = c51.addingProduct(av, b1)
        av = V(repeating: pw[6])
        c60 = c60.addingProduct(av, b0); c61 = c61.addingProduct(av, b1)
        av = V(repeating: pw[7])
        c70 = c70.addingProduct(av, b0); c71 = c71.addingProduct(av, b1)
        av = V(repeating: pw[8])
        c80 = c80.addingProduct(av, b0); c81 = c81.addingProduct(av, b1)
        pw += 9
        row += rowBytes
    }
    let o = UnsafeMutableRawPointer(c), ldcBytes = ldc &* 4
    @inline(__always) func put(_ lo: V, _ hi: V, _ t: Int) {
        (o + t &* ldcBytes).storeBytes(of: lo, as: V.self)
        (o + t &* ldcBytes).storeBytes(of: hi, toByteOffset: 64, as: V.self)
    }
    put(c00, c01, 0); put(c10, c11, 1); put(c20, c21, 2); put(c30, c31, 3); put(c40, c41, 4)
    put(c50, c51, 5); put(c60, c61, 6); put(c70, c71, 7); put(c80, c81, 8)
}
