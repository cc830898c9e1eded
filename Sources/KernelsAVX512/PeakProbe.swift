/// Runs `iterations` x 16 independent 16-lane FMAs with no memory traffic, so that
/// `robust bench peak` can measure this core's real FP32 peak (32 FLOP per FMA instruction).
/// A virtual machine's clock and FMA width are not trustworthy on paper; this measures them.
@inline(never)
public func fmaPeakProbeAVX512(_ iterations: Int, _ seed: Float) -> Float {
    typealias V = SIMD16<Float>
    let m = V(repeating: 0.999_999), a = V(repeating: 1e-7)
    var c0 = V(repeating: seed), c1 = c0 + 1, c2 = c0 + 2, c3 = c0 + 3, c4 = c0 + 4, c5 = c0 + 5, c6 = c0 + 6, c7 = c0 + 7
    var c8 = c0 + 8, c9 = c0 + 9, c10 = c0 + 10, c11 = c0 + 11, c12 = c0 + 12, c13 = c0 + 13, c14 = c0 + 14, c15 = c0 + 15
    for _ in 0..<iterations {
        c0 = c0.addingProduct(c0, m); c1 = c1.addingProduct(c1, m); c2 = c2.addingProduct(c2, m); c3 = c3.addingProduct(c3, m)
        c4 = c4.addingProduct(c4, m); c5 = c5.addingProduct(c5, m); c6 = c6.addingProduct(c6, m); c7 = c7.addingProduct(c7, m)
        c8 = c8.addingProduct(c8, a); c9 = c9.addingProduct(c9, a); c10 = c10.addingProduct(c10, a); c11 = c11.addingProduct(c11, a)
        c12 = c12.addingProduct(c12, a); c13 = c13.addingProduct(c13, a); c14 = c14.addingProduct(c14, a); c15 = c15.addingProduct(c15, a)
    }
    let s = (c0 + c1 + c2 + c3) + (c4 + c5 + c6 + c7) + (c8 + c9 + c10 + c11) + (c12 + c13 + c14 + c15)
    return s.sum()
}
