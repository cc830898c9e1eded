/// Naive triple-loop SGEMM with the same contract as `sgemm`, accumulating in Double.
///
/// The test oracle for the fast kernel (and the shape of the contract in ten lines).
/// Double accumulation makes it more exact than any Float kernel, so residuals measure
/// the fast kernel's error alone.
public func sgemmReference(
    _ transA: Transpose, _ transB: Transpose,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                let av = transA == .n ? a[i * lda + p] : a[p * lda + i]
                let bv = transB == .n ? b[p * ldb + j] : b[j * ldb + p]
                sum += Double(av) * Double(bv)
            }
            let prior = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
            c[i * ldc + j] = Float(Double(alpha) * sum + prior)
        }
    }
}
