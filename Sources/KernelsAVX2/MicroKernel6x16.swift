/// The AVX2 SGEMM micro-kernel: C[6x16] := beta*C + alpha * A_panel * B_panel.
///
/// Compiled with `-march=x86-64-v3`: `SIMD8<Float>` is one ymm register. 12 accumulators,
/// two B vectors and a broadcast fit the 16 ymm registers; a wider tile would spill.
/// Packed layouts as in the AVX-512 kernel, with MR = 6 and NR = 16.
@inline(never) @Sendable
public func sgemmMicroKernelAVX2(
    _ kc: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ mr: Int, _ nr: Int
) {
    typealias V = SIMD8<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
    var pa = a
    var pb = UnsafeRawPointer(b)
    for _ in 0..<kc {
        let b0 = pb.load(as: V.self)
        let b1 = pb.load(fromByteOffset: 32, as: V.self)
        var av = V(repeating: pa[0])
        c00 = c00.addingProduct(av, b0); c01 = c01.addingProduct(av, b1)
        av = V(repeating: pa[1])
        c10 = c10.addingProduct(av, b0); c11 = c11.addingProduct(av, b1)
        av = V(repeating: pa[2])
        c20 = c20.addingProduct(av, b0); c21 = c21.addingProduct(av, b1)
        av = V(repeating: pa[3])
        c30 = c30.addingProduct(av, b0); c31 = c31.addingProduct(av, b1)
        av = V(repeating: pa[4])
        c40 = c40.addingProduct(av, b0); c41 = c41.addingProduct(av, b1)
        av = V(repeating: pa[5])
        c50 = c50.addingProduct(av, b0); c51 = c51.addingProduct(av, b1)
        pa += 6
        pb += 64
    }
    withUnsafeTemporaryAllocation(of: V.self, capacity: 12) { t in
        t[0] = c00; t[1] = c01; t[2] = c10; t[3] = c11; t[4] = c20; t[5] = c21
        t[6] = c30; t[7] = c31; t[8] = c40; t[9] = c41; t[10] = c50; t[11] = c51
        UnsafeRawPointer(t.baseAddress!).withMemoryRebound(to: Float.self, capacity: 96) { tile in
            for i in 0..<mr {
                let row = c + i * ldc
                let src = tile + i * 16
                if beta == 0 {
                    for j in 0..<nr { row[j] = alpha * src[j] }
                } else {
                    for j in 0..<nr { row[j] = alpha * src[j] + beta * row[j] }
                }
            }
        }
    }
}
