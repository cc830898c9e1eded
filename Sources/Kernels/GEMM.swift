/// Whether a GEMM operand is used as stored (`.n`) or transposed (`.t`).
public enum Transpose: Sendable {
    case n, t
}

/// Block sizes and the micro-kernel of the GEMM: everything tunable lives in this one value.
///
/// Blocking (Goto/BLIS): a `kc x nr` B micro-panel is reused from L1 across one A block,
/// the `mc x kc` A block stays in L2 (1 MiB per core here), the `kc x nc` B block in L3.
public struct GEMMContext: Sendable {
    public var kernel: MicroKernel
    /// Rows of the A block (multiple of `kernel.mr`).
    public var mc: Int
    /// Depth of one packed panel pass.
    public var kc: Int
    /// Columns of the B block (multiple of `kernel.nr`).
    public var nc: Int
    /// Below this many multiply-adds a GEMM runs on one thread: dispatch would cost more.
    public var parallelThreshold: Int = 1 << 18
    /// Short C packs each B micro-panel just before use, but only when k is deep enough for
    /// the tile work to hide the packing; below it (k = 9 for a first conv layer) the whole
    /// B block is packed first (measured: 2x faster at 32x9x100352).
    public var packOnTheFlyMinDepth: Int = 64

    public init(kernel: MicroKernel, mc: Int, kc: Int, nc: Int) {
        self.kernel = kernel
        self.mc = (mc + kernel.mr - 1) / kernel.mr * kernel.mr
        self.kc = kc
        self.nc = (nc + kernel.nr - 1) / kernel.nr * kernel.nr
    }

    /// Sizes measured on the AMD EPYC (Zen 4) machines the project runs on; see BENCHMARKS.md.
    public static func tuned(for kernel: MicroKernel) -> GEMMContext {
        switch kernel.name {
        case MicroKernel.avx512.name: return GEMMContext(kernel: kernel, mc: 144, kc: 320, nc: 4096)
        case MicroKernel.avx2.name: return GEMMContext(kernel: kernel, mc: 120, kc: 256, nc: 4096)
        default: return GEMMContext(kernel: kernel, mc: 64, kc: 256, nc: 2048)
        }
    }

    /// The best kernel for this CPU with its tuned blocking.
    public static let `default` = GEMMContext.tuned(for: .best)
}

/// Single-precision GEMM on row-major matrices: `C := alpha * op(A) * op(B) + beta * C`.
///
/// - op(A) is `m x k`: with `.n`, A is stored `m x k` (row stride `lda >= k`); with `.t`, `k x m` (`lda >= m`).
/// - op(B) is `k x n`: with `.n`, B is stored `k x n` (`ldb >= n`); with `.t`, `n x k` (`ldb >= k`).
/// - C is `m x n` with row stride `ldc >= n`; C is not read when `beta == 0` (NaNs in C vanish).
///
/// Threads split the m and n loops only (never k), so each element of C is computed by the
/// same sequence of operations whatever `threads` is: results are bit-identical for 1 and N.
public func sgemm(
    _ transA: Transpose, _ transB: Transpose,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    threads: Int = Parallel.defaultThreads,
    context: GEMMContext = .default
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(lda >= max(1, transA == .n ? k : m), "sgemm: lda=\(lda) too small for op(A) \(m)x\(k) (trans \(transA))")
    precondition(ldb >= max(1, transB == .n ? n : k), "sgemm: ldb=\(ldb) too small for op(B) \(k)x\(n) (trans \(transB))")
    precondition(ldc >= max(1, n), "sgemm: ldc=\(ldc) too small for C \(m)x\(n)")
    if m == 0 || n == 0 { return }
    if k == 0 || alpha == 0 {
        scaleC(m: m, n: n, beta: beta, c: c, ldc: ldc)
        return
    }
    let ctx = context
    let mr = ctx.kernel.mr, nr = ctx.kernel.nr
    let workers = m * n * k < ctx.parallelThreshold ? 1 : max(1, threads)
    let grid = WorkerGrid(workers: workers, m: m, n: n, mr: mr, nr: nr)
    // Split k into near-equal passes (288 = 144 + 144, not 256 + 32: a short pass wastes a C update).
    let kPasses = (k + ctx.kc - 1) / ctx.kc
    let kcEven = (k + kPasses - 1) / kPasses
    // Keep the packed B block's size, not its width: a shallow k (a 3x3 conv on few channels)
    // gets proportionally wider blocks and fewer passes over C.
    let ncWide = max(ctx.nc, (ctx.kc * ctx.nc / kcEven) / nr * nr)

    // One dispatch per call: each worker owns a rectangle of C (MR row panels x NR column
    // panels), packs the operands it needs itself and loops over k alone. No barrier, no
    // shared mutable state, and an element of C sees the same kc passes whatever the grid.
    Parallel.forEach(grid.count, threads: workers) { w in
        let rowEnd = min(m, grid.rowPanels(w).upperBound * mr)
        let colEnd = min(n, grid.colPanels(w).upperBound * nr)
        let rowStart = grid.rowPanels(w).lowerBound * mr
        let colStart = grid.colPanels(w).lowerBound * nr
        if rowStart >= rowEnd || colStart >= colEnd { return }
        WorkspacePool.shared.with(kcEven * ncWide) { packedB in
        WorkspacePool.shared.with(ctx.mc * kcEven) { packedA in
            var jc = colStart
            while jc < colEnd {
                let nc = min(ncWide, colEnd - jc)
                let nPanels = (nc + nr - 1) / nr
                var pc = 0
                while pc < k {
                    let kc = min(kcEven, k - pc)
                    let betaNow: Float = pc == 0 ? beta : 1
                    if rowEnd - rowStart <= ctx.mc && kc >= ctx.packOnTheFlyMinDepth {
                        // Short C (all rows in one A block): pack A once, then pack each B
                        // micro-panel just before its column of tiles, while it is hot in L1.
                        // B is touched once instead of packed to L3 and read back.
                        packA(transA, a: a, lda: lda, row: rowStart, col: pc, rows: rowEnd - rowStart, kc: kc, mr: mr, into: packedA)
                        for p in 0..<nPanels {
                            let width = min(nr, nc - p * nr)
                            packB(transB, b: b, ldb: ldb, row: pc, col: jc + p * nr, kc: kc, cols: width, nr: nr, into: packedB)
                            macroKernel(ctx.kernel, kc: kc, mc: rowEnd - rowStart, nc: width, alpha: alpha, packedA: packedA,
                                        packedB: packedB, beta: betaNow, c: c + rowStart * ldc + jc + p * nr, ldc: ldc)
                        }
                        pc += kc
                        continue
                    }
                    for p in 0..<nPanels {
                        packB(transB, b: b, ldb: ldb, row: pc, col: jc + p * nr, kc: kc,
                              cols: min(nr, nc - p * nr), nr: nr, into: packedB + p * kc * nr)
                    }
                    var ic = rowStart
                    while ic < rowEnd {
                        let mc = min(ctx.mc, rowEnd - ic)
                        packA(transA, a: a, lda: lda, row: ic, col: pc, rows: mc, kc: kc, mr: mr, into: packedA)
                        macroKernel(ctx.kernel, kc: kc, mc: mc, nc: nc, alpha: alpha, packedA: packedA,
                                    packedB: packedB, beta: betaNow, c: c + ic * ldc + jc, ldc: ldc)
                        ic += mc
                    }
                    pc += kc
                }
                jc += nc
            }
        }
        }
    }
}

/// The two inner loops (JR over B micro-panels, IR over A micro-panels) around the micro-kernel.
/// The B micro-panel stays in L1 while the A block streams from L2.
@inline(__always)
func macroKernel(_ kernel: MicroKernel, kc: Int, mc: Int, nc: Int, alpha: Float,
                 packedA: UnsafeMutablePointer<Float>, packedB: UnsafeMutablePointer<Float>,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let mr = kernel.mr, nr = kernel.nr
    var j = 0
    while j < nc {
        let width = min(nr, nc - j)
        let bPanel = UnsafePointer(packedB + (j / nr) * kc * nr)
        var i = 0
        while i < mc {
            kernel.run(kc, alpha, UnsafePointer(packedA + i * kc), bPanel, beta,
                       c + i * ldc + j, ldc, min(mr, mc - i), width)
            i += mr
        }
        j += nr
    }
}

/// How workers tile C: `tm x tn` rectangles of whole micro-panels.
///
/// Splitting rows makes every worker pack all of B; splitting columns makes every worker pack
/// all of A. So split the dimension whose other operand is smaller to copy (rows when
/// m >= n), unless it has too few panels to go round.
public struct WorkerGrid {
    public let tm: Int, tn: Int, mPanels: Int, nPanels: Int

    public init(workers: Int, m: Int, n: Int, mr: Int, nr: Int) {
        mPanels = (m + mr - 1) / mr
        nPanels = (n + nr - 1) / nr
        let splitRows = (m >= n && mPanels >= workers) || nPanels < workers
        (tm, tn) = splitRows ? (min(workers, mPanels), 1) : (1, min(workers, nPanels))
    }

    public var count: Int { tm * tn }
    public func rowPanels(_ w: Int) -> Range<Int> { Self.share(mPanels, parts: tm, index: w / tn) }
    public func colPanels(_ w: Int) -> Range<Int> { Self.share(nPanels, parts: tn, index: w % tn) }

    /// The `index`-th of `parts` near-equal contiguous shares of `0..<total`.
    static func share(_ total: Int, parts: Int, index: Int) -> Range<Int> {
        let base = total / parts, extra = total % parts
        let lo = index * base + min(index, extra)
        return lo..<(lo + base + (index < extra ? 1 : 0))
    }
}

/// `C := beta * C`, with `beta == 0` writing zeros without reading C.
func scaleC(m: Int, n: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    for i in 0..<m {
        let row = c + i * ldc
        if beta == 0 {
            row.update(repeating: 0, count: n)
        } else if beta != 1 {
            for j in 0..<n { row[j] *= beta }
        }
    }
}
