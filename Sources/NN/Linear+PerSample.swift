import Kernels

extension Linear {
    /// Adds each sample's squared gradient norm for the last `forward` to `norms`, without forming the gradients.
    ///
    /// Why no per-sample GEMM: a sample's weight gradient is the outer product `dY_i x_i^T`, whose Frobenius norm
    /// is `||dY_i|| ||x_i||`, and its bias gradient is `dY_i`: `||g_i||^2 = ||dY_i||^2 (||x_i||^2 + 1)` (without the
    /// `+ 1` when there is no bias). Sums in Double, one sample at a time, so threads change no bit.
    // dY: [N, out], x: [N, in] -> norms[i] += ||dY_i||^2 * ||x_i||^2 + ||dY_i||^2
    func addPerSampleSquaredNorms(_ dY: Tensor, into norms: inout [Double], context: ExecutionContext) {
        guard let x = lastInput else { preconditionFailure("Linear: per-sample norms asked before forward") }
        let n = x.shape[0]
        dY.expectShape([n, outFeatures], "Linear per-sample norms dY for input \(x.shape)")
        precondition(norms.count == n, "Linear: \(norms.count) norms for a batch of \(n)")
        let hasBias = bias != nil
        x.withUnsafePointer { xp in
        dY.withUnsafePointer { dyp in
        norms.withUnsafeMutableBufferPointer { np in
            context.forEach(n) { i in
                let dySquared = sumOfSquares(dyp + i * outFeatures, count: outFeatures)
                let xSquared = sumOfSquares(xp + i * inFeatures, count: inFeatures)
                np[i] += dySquared * xSquared + (hasBias ? dySquared : 0)
            }
        }}}
    }
}

/// `sum of v[j]^2` in Double (a per-sample norm must not lose the small terms of a long row).
func sumOfSquares(_ v: UnsafePointer<Float>, count: Int) -> Double {
    var s = 0.0
    for j in 0..<count { s += Double(v[j]) * Double(v[j]) }
    return s
}
