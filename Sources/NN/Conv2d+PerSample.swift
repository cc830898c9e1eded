import Kernels

extension Conv2d {
    /// Adds each sample's squared gradient norm for the last `forward` to `norms`.
    ///
    /// A sample's weight gradient `dY_i [O, OH*OW] * col_i^T [OH*OW, C*kh*kw]` is formed on its own (the same
    /// GEMMs, im2col chunks and kernels as the batch's weight gradient, which sums them) and only its squared
    /// Frobenius norm kept; the bias gradient is dY_i summed over positions. Samples run in parallel, each on
    /// one thread with its own workspace, so threads change no bit.
    // dY: [N, O, OH, OW], x: [N, C, H, W] -> norms[i] += ||dY_i col_i^T||_F^2 + sum_o (sum_p dY_i[o, p])^2
    func addPerSampleSquaredNorms(_ dY: Tensor, into norms: inout [Double], context: ExecutionContext) {
        guard let x = lastInput else { preconditionFailure("Conv2d: per-sample norms asked before forward") }
        let g = ConvGeometry(channels: inChannels, height: x.shape[2], width: x.shape[3], kernelHeight: kernelHeight,
                             kernelWidth: kernelWidth, stride: stride, padding: padding)
        let n = x.shape[0], o = outChannels, k = g.colRows, spatial = g.colColumns
        dY.expectShape([n, o, g.outHeight, g.outWidth], "Conv2d per-sample norms dY for input \(x.shape)")
        precondition(norms.count == n, "Conv2d: \(norms.count) norms for a batch of \(n)")
        let chunkColumns = g.im2colIsIdentity ? spatial : columnChunk(k: k, spatial: spatial)
        let hasBias = bias != nil
        x.withUnsafePointer { xp in
        dY.withUnsafePointer { dyp in
        norms.withUnsafeMutableBufferPointer { np in
            context.forEach(n) { i in
                let dyi = dyp + i * o * spatial
                let xi = xp + i * g.imageCount
                context.workspaces.with(o * k + (g.im2colIsIdentity ? 0 : k * chunkColumns)) { buffer in
                    let dW = buffer, colBuffer = buffer + o * k
                    var j0 = 0
                    while j0 < spatial {
                        let w = min(chunkColumns, spatial - j0)
                        var col = UnsafePointer(xi) + j0
                        var ldCol = spatial
                        if !g.im2colIsIdentity {
                            im2col(xi, g, columns: j0..<(j0 + w), into: colBuffer, ld: w)
                            (col, ldCol) = (UnsafePointer(colBuffer), w)
                        }
                        sgemm(.n, .t, m: o, n: k, k: w, a: dyi + j0, lda: spatial, b: col, ldb: ldCol,
                              beta: j0 == 0 ? 0 : 1, c: dW, ldc: k, on: context, threads: 1)
                        j0 += w
                    }
                    var squared = sumOfSquares(dW, count: o * k)
                    if hasBias {
                        for oc in 0..<o {
                            let row = dyi + oc * spatial
                            var s: Float = 0
                            for p in 0..<spatial { s += row[p] }
                            squared += Double(s) * Double(s)
                        }
                    }
                    np[i] += squared
                }
            }
        }}}
    }
}
