/// The AVX-512 SGEMM micro-kernel with a taller tile: C[12x32] := beta*C + alpha * A_panel * B_panel.
///
/// 24 accumulators (12 rows x 2 vectors), two B vectors and a broadcast use 27 of the 32 zmm
/// registers. Per k step it does 24 FMAs for 2 B loads and 12 broadcasts, against 16 for 2 and 8
/// in the 8x32 kernel: fewer bytes from L2 per FLOP. Same packed layouts, with MR = 12.
@inline(never)
public func sgemmMicroKernelAVX512x12(
    _ kc: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ mr: Int, _ nr: Int
) {
    typealias V = SIMD16<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V(), c80 = V(), c81 = V(), c90 = V(), c91 = V(), c100 = V(), c101 = V(), c110 = V(), c111 = V()
    var pa = a
    var pb = UnsafeRawPointer(b)
    for _ in 0..<kc {
        let b0 = pb.load(as: V.self)
        let b1 = pb.load(fromByteOffset: 64, as: V.self)
        var av: V
        av = V(repeating: pa[0]); c00 = c00.addingProduct(av, b0); c01 = c01.addingProduct(av, b1)
        av = V(repeating: pa[1]); c10 = c10.addingProduct(av, b0); c11 = c11.addingProduct(av, b1)
        av = V(repeating: pa[2]); c20 = c20.addingProduct(av, b0); c21 = c21.addingProduct(av, b1)
        av = V(repeating: pa[3]); c30 = c30.addingProduct(av, b0); c31 = c31.addingProduct(av, b1)
        av = V(repeating: pa[4]); c40 = c40.addingProduct(av, b0); c41 = c41.addingProduct(av, b1)
        av = V(repeating: pa[5]); c50 = c50.addingProduct(av, b0); c51 = c51.addingProduct(av, b1)
        av = V(repeating: pa[6]); c60 = c60.addingProduct(av, b0); c61 = c61.addingProduct(av, b1)
        av = V(repeating: pa[7]); c70 = c70.addingProduct(av, b0); c71 = c71.addingProduct(av, b1)
        av = V(repeating: pa[8]); c80 = c80.addingProduct(av, b0); c81 = c81.addingProduct(av, b1)
        av = V(repeating: pa[9]); c90 = c90.addingProduct(av, b0); c91 = c91.addingProduct(av, b1)
        av = V(repeating: pa[10]); c100 = c100.addingProduct(av, b0); c101 = c101.addingProduct(av, b1)
        av = V(repeating: pa[11]); c110 = c110.addingProduct(av, b0); c111 = c111.addingProduct(av, b1)
        pa += 12
        pb += 128
    }
    if mr == 12 && nr == 32 {
        let cr = UnsafeMutableRawPointer(c)
        let rowBytes = ldc * 4
        store12(c00, c01, cr + 0 * rowBytes, alpha, beta)
        store12(c10, c11, cr + 1 * rowBytes, alpha, beta)
        store12(c20, c21, cr + 2 * rowBytes, alpha, beta)
        store12(c30, c31, cr + 3 * rowBytes, alpha, beta)
        store12(c40, c41, cr + 4 * rowBytes, alpha, beta)
        store12(c50, c51, cr + 5 * rowBytes, alpha, beta)
        store12(c60, c61, cr + 6 * rowBytes, alpha, beta)
        store12(c70, c71, cr + 7 * rowBytes, alpha, beta)
        store12(c80, c81, cr + 8 * rowBytes, alpha, beta)
        store12(c90, c91, cr + 9 * rowBytes, alpha, beta)
        store12(c100, c101, cr + 10 * rowBytes, alpha, beta)
        store12(c110, c111, cr + 11 * rowBytes, alpha, beta)
        return
    }
    withUnsafeTemporaryAllocation(of: V.self, capacity: 24) { t in
        t[0] = c00; t[1] = c01
        t[2] = c10; t[3] = c11
        t[4] = c20; t[5] = c21
        t[6] = c30; t[7] = c31
        t[8] = c40; t[9] = c41
        t[10] = c50; t[11] = c51
        t[12] = c60; t[13] = c61
        t[14] = c70; t[15] = c71
        t[16] = c80; t[17] = c81
        t[18] = c90; t[19] = c91
        t[20] = c100; t[21] = c101
        t[22] = c110; t[23] = c111
        UnsafeRawPointer(t.baseAddress!).withMemoryRebound(to: Float.self, capacity: 384) { tile in
            for i in 0..<mr {
                let row = c + i * ldc
                let src = tile + i * 32
                if beta == 0 {
                    for j in 0..<nr { row[j] = alpha * src[j] }
                } else {
                    for j in 0..<nr { row[j] = alpha * src[j] + beta * row[j] }
                }
            }
        }
    }
}

@inline(__always)
private func store12(_ lo: SIMD16<Float>, _ hi: SIMD16<Float>, _ row: UnsafeMutableRawPointer, _ alpha: Float, _ beta: Float) {
    if beta == 0 {
        row.storeBytes(of: lo * alpha, as: SIMD16<Float>.self)
        row.storeBytes(of: hi * alpha, toByteOffset: 64, as: SIMD16<Float>.self)
    } else {
        let old0 = row.loadUnaligned(as: SIMD16<Float>.self)
        let old1 = row.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
        row.storeBytes(of: (lo * alpha).addingProduct(old0, beta), as: SIMD16<Float>.self)
        row.storeBytes(of: (hi * alpha).addingProduct(old1, beta), toByteOffset: 64, as: SIMD16<Float>.self)
    }
}
