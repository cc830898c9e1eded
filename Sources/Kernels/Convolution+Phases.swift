/// The input gradient of a strided convolution as s x s stride-1 convolutions of dY, one per output phase.
///
/// Input pixel `(y, x)` with `y + p = s*T + a`, `x + p = s*U + b` (phase `(a, b)`) receives
/// `sum over o, m, n of dY[o, T - m, U - n] * W[o, c, a + m*s, b + n*s]`: a stride-1 correlation of dY
/// with the phase's taps. Each is run with B read in place from a zero-padded dY (as the forward
/// convolution does), and its outputs are written to every s-th pixel, each pixel once.
///
/// Why: before, `W^T dY` per image went to a column matrix that `col2im` scatter-added into a zeroed
/// dX: 17 % of a resnet-lite PGD step for its two stride-2 layers. Results differ from that path by
/// float rounding only (the same products, summed in (o, m, n) order).
public final class PhaseWeights: @unchecked Sendable {
    let kernelName: String
    /// Per phase `a * s + b`: taps down and across, and `[C, O * taps]` packed as A.
    let phases: [(rows: Int, columns: Int, packed: PackedA)]

    /// `weights` is `[O, C, kh, kw]`; the window is at least the stride in both directions (every phase has taps).
    public init(weights: UnsafePointer<Float>, outChannels o: Int, geometry g: ConvGeometry, for context: ExecutionContext) {
        let s = g.stride, c = g.channels, kh = g.kernelHeight, kw = g.kernelWidth
        precondition(kh >= s && kw >= s, "PhaseWeights: a \(kh)x\(kw) window leaves phases of stride \(s) without taps")
        kernelName = context.gemm.kernel.name
        var phases: [(rows: Int, columns: Int, packed: PackedA)] = []
        for a in 0..<s {
            for b in 0..<s {
                let rows = (kh - a + s - 1) / s, columns = (kw - b + s - 1) / s
                let depth = o * rows * columns
                var sub = [Float](repeating: 0, count: c * depth)
                for ch in 0..<c {
                    for oc in 0..<o {
                        for m in 0..<rows {
                            for n in 0..<columns {
                                sub[ch * depth + (oc * rows + m) * columns + n] =
                                    weights[((oc * c + ch) * kh + a + m * s) * kw + b + n * s]
                            }
                        }
                    }
                }
                let packed = sub.withUnsafeBufferPointer { PackedA(.n, a: $0.baseAddress!, lda: depth, m: c, k: depth, for: context) }
                phases.append((rows, columns, packed))
            }
        }
        self.phases = phases
    }

    /// True when packed for `context`'s kernel and k passes.
    public func fits(_ context: ExecutionContext) -> Bool {
        kernelName == context.gemm.kernel.name && phases.allSatisfy { $0.packed.fits(context.gemm) }
    }
}

/// dX (`C x H x W`) of one image from its dY (`O x OH x OW`) for the strided convolution `g`, by phases.
/// Single-threaded (one image per task); needs the in-place micro-kernel.
public func convolutionInputGradientByPhases(_ dY: UnsafePointer<Float>, outChannels o: Int, geometry g: ConvGeometry,
                                             weights: PhaseWeights, into dX: UnsafeMutablePointer<Float>,
                                             context: ExecutionContext) {
    guard let run = context.gemm.kernel.runIndirect else { preconditionFailure("convolutionInputGradientByPhases: no in-place kernel") }
    precondition(weights.fits(context), "convolutionInputGradientByPhases: weights packed for another kernel")
    let s = g.stride, p = g.padding, oh = g.outHeight, ow = g.outWidth
    let mr = context.gemm.kernel.mr, nr = context.gemm.kernel.nr
    // dY zero-padded by `pad` (the most taps a phase has, less one) on the top and left, and to
    // `rows x width` so every phase's window stays inside.
    let pad = (max(g.kernelHeight, g.kernelWidth) + s - 1) / s - 1
    let ranges = (0..<s).map { phaseRange(phase: $0, size: g.height, stride: s, padding: p) }
    let columnRanges = (0..<s).map { phaseRange(phase: $0, size: g.width, stride: s, padding: p) }
    let width = max(ow, columnRanges.map(\.upperBound).max()!) + pad
    let rows = max(oh, ranges.map(\.upperBound).max()!) + pad
    let plane = rows * width
    // The last panel of the deepest row reads up to `width + nr` floats past the planes.
    let count = o * plane + width + nr
    context.workspaces.with(count) { padded in
    withUnsafeTemporaryAllocation(of: Int.self, capacity: weights.phases.map { o * $0.rows * $0.columns }.max() ?? 1) { offsets in
    withUnsafeTemporaryAllocation(of: Float.self, capacity: mr * nr) { tile in
        zeroFloats(padded, count)
        for oc in 0..<o {
            for y in 0..<oh { copyFloats(padded + oc * plane + (y + pad) * width + pad, dY + (oc * oh + y) * ow, ow) }
        }
        for a in 0..<s {
            for b in 0..<s {
                let phase = weights.phases[a * s + b]
                let tRange = ranges[a], uRange = columnRanges[b]
                if tRange.isEmpty || uRange.isEmpty { continue }
                let packed = phase.packed
                var r = 0
                for oc in 0..<o {
                    for m in 0..<phase.rows {
                        for n in 0..<phase.columns {
                            offsets[r] = oc * plane + (pad - m) * width + (pad - n)
                            r += 1
                        }
                    }
                }
                // Columns q = (T - T0) * width + (U - U0); kept when U - U0 < count of U.
                let origin = padded + tRange.lowerBound * width + uRange.lowerBound
                let columns = tRange.count * width, panels = (columns + nr - 1) / nr
                let k = packed.k, kcEven = KPartition(k: k, kc: context.gemm.kc).kc
                var i = 0
                while i < g.channels {
                    let height = min(mr, g.channels - i)
                    for panel in 0..<panels {
                        var pc = 0
                        while pc < k {
                            let kc = min(kcEven, k - pc)
                            run(kc, 1, packed.block(row: i, pc: pc, kc: kc), origin + panel * nr, offsets.baseAddress! + pc,
                                pc == 0 ? 0 : 1, tile.baseAddress!, nr, height, nr)
                            pc += kc
                        }
                        // Scatter the kept columns to every s-th pixel of their rows, one run per row of T.
                        let first = panel * nr, last = min(columns, first + nr)
                        for t in (first / width)...((last - 1) / width) {
                            let u0 = max(0, first - t * width), u1 = min(uRange.count, last - t * width)
                            if u0 >= u1 { continue }
                            let pixel = (s * (tRange.lowerBound + t) + a - p) * g.width + s * (uRange.lowerBound + u0) + b - p
                            for row in 0..<height {
                                let dst = dX + (i + row) * g.height * g.width + pixel
                                let src = tile.baseAddress! + row * nr + t * width + u0 - first
                                for j in 0..<(u1 - u0) { dst[j &* s] = src[j] }
                            }
                        }
                    }
                    i += mr
                }
            }
        }
    }}}
}

/// The `T` with `0 <= s*T + phase - padding < size`: the phase's output positions along one axis.
private func phaseRange(phase: Int, size: Int, stride s: Int, padding p: Int) -> Range<Int> {
    // s*T >= p - phase and s*T <= size - 1 + p - phase.
    let low = p - phase <= 0 ? 0 : (p - phase + s - 1) / s
    let top = size - 1 + p - phase
    let high = top < 0 ? 0 : top / s + 1
    return low..<max(low, high)
}
