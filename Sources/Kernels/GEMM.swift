/// Whether a GEMM operand is used as stored (`.n`) or transposed (`.t`).
public enum Transpose: Sendable {
    case n, t
}

/// Block sizes and the micro-kernel of the GEMM: everything tunable lives in this one value.
///
/// Blocking (Goto/BLIS): a `kc x nr` B micro-panel is reused from L1 across one A block,
/// the `mc x kc` A block stays in L2 (1-2 MiB per core on the machines measured), the `kc x nc` B block in L3.
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
    /// From this block width on, a deep row-major B is packed row by row (see `packBBlockRowwise`).
    public var rowwiseMinWidth: Int = 1024

    public init(kernel: MicroKernel, mc: Int, kc: Int, nc: Int) {
        self.kernel = kernel
        self.mc = (mc + kernel.mr - 1) / kernel.mr * kernel.mr
        self.kc = kc
        self.nc = (nc + kernel.nr - 1) / kernel.nr * kernel.nr
    }

    /// Sizes swept on an AMD EPYC (Zen 4) and again on an Intel Xeon (Emerald Rapids), where they were
    /// still best or tied; see BENCHMARKS.md. (kc also fixes the k passes, hence every result's rounding.)
    public static func tuned(for kernel: MicroKernel) -> GEMMContext {
        switch kernel.name {
        case MicroKernel.avx512.name: return GEMMContext(kernel: kernel, mc: 144, kc: 640, nc: 2048)
        case MicroKernel.avx2.name: return GEMMContext(kernel: kernel, mc: 120, kc: 256, nc: 4096)
        default: return GEMMContext(kernel: kernel, mc: 64, kc: 256, nc: 2048)
        }
    }
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
    on context: ExecutionContext, threads: Int? = nil
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(lda >= max(1, transA == .n ? k : m), "sgemm: lda=\(lda) too small for op(A) \(m)x\(k) (trans \(transA))")
    gemmDriver(.raw(transA, a, lda), .raw(transB, b, ldb), m: m, n: n, k: k, alpha: alpha, beta: beta, c: c, ldc: ldc,
               threads: threads ?? context.threads, context: context)
}

/// SGEMM with an A packed beforehand (`PackedA`): `C := alpha * op(A) * op(B) + beta * C`.
///
/// For a GEMM whose A is reused across many calls, such as a convolution's weights applied to
/// each image of a batch: the per-call packing of A is skipped. Same contract and bit-identical
/// results as `sgemm` with the A the pack was made from, provided `context` is the same.
public func sgemm(
    packedA: PackedA, _ transB: Transpose, n: Int,
    alpha: Float = 1,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    on context: ExecutionContext, threads: Int? = nil
) {
    packedA.expectPacked(for: context.gemm)
    gemmDriver(.packed(packedA), .raw(transB, b, ldb), m: packedA.m, n: n, k: packedA.k, alpha: alpha, beta: beta,
               c: c, ldc: ldc, threads: threads ?? context.threads, context: context)
}

/// SGEMM whose B is the im2col matrix of one image, packed straight from the image:
/// `C := alpha * op(A) * im2col(image) + beta * C (+ rowBias[i] on row i)`, C `m x (OH*OW)`, A's
/// depth `C*kh*kw`. The bias is added to the finished product, as a separate `addRowBias` would.
///
/// Why: a convolution's column matrix is 9x its image; writing it and then packing it again
/// into B panels cost as much as the multiply (im2col + packing were ~17 % of a CNN attack step).
/// Here each `kc x nr` B micro-panel is im2col'd directly, while it is hot in L1. Bit-identical
/// to `im2col` followed by `sgemm(packedA:...)` on the column matrix (same panels, same k passes).
public func sgemm(
    packedA: PackedA, im2colOf image: UnsafePointer<Float>, geometry: ConvGeometry,
    alpha: Float = 1,
    beta: Float = 0,
    rowBias: UnsafePointer<Float>? = nil,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    on context: ExecutionContext, threads: Int? = nil
) {
    packedA.expectPacked(for: context.gemm)
    precondition(packedA.k == geometry.colRows, "sgemm: A has depth \(packedA.k), im2col has \(geometry.colRows) rows")
    let g = geometry, p = g.padding, threads = threads ?? context.threads
    // Strided: in place over the phases when the window is at least the stride (a 1x1 stride-2
    // kernel's depth is one channel per row: its tiles are all copy-out, and packing ran it 1.4x faster).
    let phases = g.stride > 1 && g.kernelHeight >= g.stride && g.kernelWidth >= g.stride
    if let direct = context.gemm.kernel.direct, let blocks = packedA.channelBlocks,
       g.outWidth >= DirectConvolutionTiles.pixelWidth, beta == 0, threads == 1 {
        convolvePixels(direct.pixels, blocks: UnsafePointer(blocks.pointer), m: packedA.m, k: packedA.k, image: image,
                       geometry: g, alpha: alpha, rowBias: rowBias, c: c, ldc: ldc, context: context)
        return
    }
    if let direct = context.gemm.kernel.direct, g.takesDirectForward(depth: packedA.k, kc: context.gemm.kc), beta == 0, threads == 1 {
        convolveDirect(direct.forward, packedA: packedA, image: image, geometry: g, alpha: alpha, rowBias: rowBias,
                       c: c, ldc: ldc, context: context)
        return
    }
    if let runIndirect = context.gemm.kernel.runIndirect, (p > 0 && g.stride == 1) || phases, beta == 0, threads == 1 {
        convolveIndirect(runIndirect, packedA: packedA, image: image, geometry: g, alpha: alpha, rowBias: rowBias,
                         c: c, ldc: ldc, context: context)
        return
    }
    if p == 0 {
        gemmDriver(.packed(packedA), .im2colPadded(image, g), m: packedA.m, n: g.colColumns, k: packedA.k, alpha: alpha,
                   beta: beta, c: c, ldc: ldc, threads: threads, context: context)
    } else {
        // Pad once per image, so packing never tests a window against the border.
        context.workspaces.with(g.channels * (g.height + 2 * p) * (g.width + 2 * p)) { padded in
            padImage(image, g, into: padded)
            gemmDriver(.packed(packedA), .im2colPadded(UnsafePointer(padded), g), m: packedA.m, n: g.colColumns,
                       k: packedA.k, alpha: alpha, beta: beta, c: c, ldc: ldc, threads: threads, context: context)
        }
    }
    if let rowBias { addRowBias(rowBias, m: packedA.m, n: g.colColumns, c: c, ldc: ldc) }
}

/// Where im2col row `(c, i, j)` starts in the zero-padded image (`padImage`'s layout): the in-place
/// tiles read tap `(i, j)` of output `(oy, ox)` at this offset plus the output's own position.
/// Nested loops: three divisions per row cost 5 % of a forward pass.
func fillTapOffsets(_ g: ConvGeometry, into offsets: UnsafeMutablePointer<Int>) {
    let hp = g.height + 2 * g.padding, wp = g.width + 2 * g.padding
    var r = 0
    for ch in 0..<g.channels {
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
                offsets[r] = (ch * hp + i) * wp + j
                r += 1
            }
        }
    }
}

/// Copies one `C x H x W` image into `C x (H+2p) x (W+2p)` with a zero border.
func padImage(_ image: UnsafePointer<Float>, _ g: ConvGeometry, into padded: UnsafeMutablePointer<Float>) {
    let p = g.padding, hp = g.height + 2 * p, wp = g.width + 2 * p
    for ch in 0..<g.channels {
        let dst = padded + ch * hp * wp, src = image + ch * g.height * g.width
        zeroFloats(dst, p * wp)
        for y in 0..<g.height {
            let row = dst + (y + p) * wp
            for t in 0..<p { row[t] = 0; row[wp - 1 - t] = 0 }
            copyFloats(row + p, src + y * g.width, g.width)
        }
        zeroFloats(dst + (hp - p) * wp, p * wp)
    }
}

/// Where the driver gets A blocks from: packed now from memory, or from a `PackedA`.
enum OperandA {
    case raw(Transpose, UnsafePointer<Float>, Int)
    case packed(PackedA)

    /// The packed `rows x kc` block of op(A) at (`row`, `pc`); `row` is a multiple of MR.
    @inline(__always)
    func block(row: Int, rows: Int, pc: Int, kc: Int, mr: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        switch self {
        case .raw(let trans, let a, let lda):
            packA(trans, a: a, lda: lda, row: row, col: pc, rows: rows, kc: kc, mr: mr, into: scratch)
            return UnsafePointer(scratch)
        case .packed(let packed):
            return packed.block(row: row, pc: pc, kc: kc)
        }
    }
}

/// Where the driver gets B micro-panels from: packed from a matrix in memory, or im2col'd from an image.
enum OperandB {
    case raw(Transpose, UnsafePointer<Float>, Int)
    /// An image zero-padded by `g.padding` on every side (`C x (H+2p) x (W+2p)`) and its geometry.
    case im2colPadded(UnsafePointer<Float>, ConvGeometry)
    /// A channels-last padded image (`(H+2p) x (W+2p) x C`) whose window matrix is op(B) (see `windowsPanel`).
    case windowsChannelsLast(UnsafePointer<Float>, ConvGeometry)

    /// Packs the `kc x cols` slice of op(B) at (`row`, `col`) into one `nr`-wide micro-panel (see `packB`).
    @inline(__always)
    func pack(row: Int, col: Int, kc: Int, cols: Int, nr: Int, into dst: UnsafeMutablePointer<Float>) {
        switch self {
        case .raw(let trans, let b, let ldb):
            packB(trans, b: b, ldb: ldb, row: row, col: col, kc: kc, cols: cols, nr: nr, into: dst)
        case .im2colPadded(let padded, let g):
            im2colPanel(padded: padded, g, rows: row..<(row + kc), columns: col..<(col + cols), into: dst, ld: nr)
            if cols < nr {
                for p in 0..<kc { (dst + p &* nr + cols).update(repeating: 0, count: nr - cols) }
            }
        case .windowsChannelsLast(let image, let g):
            windowsPanel(channelsLast: image, g, rows: row..<(row + kc), columns: col..<(col + cols), into: dst, ld: nr)
        }
    }
}

/// How k is cut into passes: near-equal (288 = 144 + 144, not 256 + 32: a short pass wastes a
/// C update), at most `kc` deep.
struct KPartition {
    let kc: Int
    init(k: Int, kc maxDepth: Int) {
        let passes = max(1, (k + maxDepth - 1) / maxDepth)
        kc = max(1, (k + passes - 1) / passes)
    }
}

/// The Goto/BLIS loops shared by both `sgemm` entry points (see `sgemm` for the contract).
func gemmDriver(
    _ operandA: OperandA, _ operandB: OperandB, m: Int, n: Int, k: Int, alpha: Float,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
    threads: Int, context: ExecutionContext
) {
    if case .raw(let transB, _, let ldb) = operandB {
        precondition(ldb >= max(1, transB == .n ? n : k), "sgemm: ldb=\(ldb) too small for op(B) \(k)x\(n) (trans \(transB))")
    }
    precondition(ldc >= max(1, n), "sgemm: ldc=\(ldc) too small for C \(m)x\(n)")
    if m == 0 || n == 0 { return }
    if k == 0 || alpha == 0 {
        scaleC(m: m, n: n, beta: beta, c: c, ldc: ldc)
        return
    }
    let ctx = context.gemm
    let mr = ctx.kernel.mr, nr = ctx.kernel.nr
    let workers = m * n * k < ctx.parallelThreshold || Parallel.isInsideWorker ? 1 : max(1, threads)
    let split = WorkerSplit(workers: workers, m: m, n: n, mr: mr, nr: nr)
    let kcEven = KPartition(k: k, kc: ctx.kc).kc

    // One dispatch per call: each worker owns a block of C's rows or columns (whole micro-panels,
    // sized to the worker's speed), packs the operands it needs itself and loops over k alone. No
    // barrier, no shared mutable state, and an element of C sees the same kc passes whatever the split.
    context.forEachShare(split.panels, threads: workers) { panels in
        let rowStart = split.byRows ? panels.lowerBound * mr : 0
        let rowEnd = split.byRows ? min(m, panels.upperBound * mr) : m
        let colStart = split.byRows ? 0 : panels.lowerBound * nr
        let colEnd = split.byRows ? n : min(n, panels.upperBound * nr)
        if rowStart >= rowEnd || colStart >= colEnd { return }
        context.workspaces.with(kcEven * ctx.nc) { packedB in
        context.workspaces.with(ctx.mc * kcEven) { scratchA in
            var jc = colStart
            while jc < colEnd {
                let nc = min(ctx.nc, colEnd - jc)
                let nPanels = (nc + nr - 1) / nr
                var pc = 0
                while pc < k {
                    let kc = min(kcEven, k - pc)
                    let betaNow: Float = pc == 0 ? beta : 1
                    if rowEnd - rowStart <= ctx.mc && kc >= ctx.packOnTheFlyMinDepth {
                        // Short C (all rows in one A block): pack A once, then pack each B
                        // micro-panel just before its column of tiles, while it is hot in L1.
                        // B is touched once instead of packed to L3 and read back; `packB`
                        // prefetches the next panel's part of each row (64x288x25088 on one
                        // thread: 94 -> 106 GFLOP/s against packing the block row by row first).
                        let blockA = operandA.block(row: rowStart, rows: rowEnd - rowStart, pc: pc, kc: kc, mr: mr, scratch: scratchA)
                        for p in 0..<nPanels {
                            let width = min(nr, nc - p * nr)
                            operandB.pack(row: pc, col: jc + p * nr, kc: kc, cols: width, nr: nr, into: packedB)
                            macroKernel(ctx.kernel, kc: kc, mc: rowEnd - rowStart, nc: width, alpha: alpha, packedA: blockA,
                                        packedB: packedB, beta: betaNow, c: c + rowStart * ldc + jc + p * nr, ldc: ldc)
                        }
                        pc += kc
                        continue
                    }
                    // A deep and wide block of a row-major B (which comes from memory, not cache)
                    // is packed row by row: one sequential stream instead of one per row. A shallow
                    // or narrow one (it fits in cache), or im2col panels, go panel by panel.
                    if case .raw(.n, let b, let ldb) = operandB, kc >= ctx.packOnTheFlyMinDepth, nc >= ctx.rowwiseMinWidth {
                        packBBlockRowwise(b: b, ldb: ldb, row: pc, col: jc, kc: kc, cols: nc, nr: nr, into: packedB)
                    } else {
                        for p in 0..<nPanels {
                            operandB.pack(row: pc, col: jc + p * nr, kc: kc, cols: min(nr, nc - p * nr), nr: nr,
                                          into: packedB + p * kc * nr)
                        }
                    }
                    // Near-equal A blocks of whole micro-panels, at most mc rows: 1024 rows are 8 x 128,
                    // not 7 x 144 + 16, whose last block streamed the whole B block for 16 rows.
                    let rowPanels = (rowEnd - rowStart + mr - 1) / mr
                    let blocks = (rowPanels * mr + ctx.mc - 1) / ctx.mc
                    for block in 0..<blocks {
                        let panels = Parallel.share(rowPanels, parts: blocks, index: block)
                        let ic = rowStart + panels.lowerBound * mr
                        let mc = min(panels.count * mr, rowEnd - ic)
                        let blockA = operandA.block(row: ic, rows: mc, pc: pc, kc: kc, mr: mr, scratch: scratchA)
                        macroKernel(ctx.kernel, kc: kc, mc: mc, nc: nc, alpha: alpha, packedA: blockA,
                                    packedB: packedB, beta: betaNow, c: c + ic * ldc + jc, ldc: ldc)
                    }
                    pc += kc
                }
                jc += nc
            }
        }
        }
    }
}

/// op(A) packed once into the micro-kernel's layout, to be reused by many `sgemm(packedA:...)` calls.
///
/// Why: a convolution multiplies the same weights with every image's column matrix, and packing
/// them again per image cost up to a third of the micro-kernel's time. Layout: for each k pass
/// (see `KPartition`), all MR-row micro-panels of that pass, so any block that starts on a
/// micro-panel boundary is one pointer.
public final class PackedA: @unchecked Sendable {
    public let m: Int
    public let k: Int
    let mr: Int
    let kcEven: Int
    let kernelName: String
    private let panels: Int
    private let buffer: AlignedBuffer
    /// op(A) again in blocks of 32 rows, `[block][k][32]`, for the pixel tile (`convolvePixels`); made
    /// when asked, the kernel has the tile and the shape can take it (`takesPixelTiles`), nil otherwise.
    let channelBlocks: AlignedBuffer?

    /// Packs op(A) for `context`'s kernel and k passes.
    /// `pixelTiles`: also pack the blocks the pixel tile reads, for a convolution's weights (`.n` only,
    /// where the shape allows, see `takesPixelTiles`).
    public convenience init(_ trans: Transpose, a: UnsafePointer<Float>, lda: Int, m: Int, k: Int, for context: ExecutionContext,
                            pixelTiles: Bool = false) {
        self.init(trans, a: a, lda: lda, m: m, k: k, gemm: context.gemm, pixelTiles: pixelTiles)
    }

    public init(_ trans: Transpose, a: UnsafePointer<Float>, lda: Int, m: Int, k: Int, gemm context: GEMMContext,
                pixelTiles: Bool = false) {
        precondition(m >= 0 && k >= 0, "PackedA: negative size m=\(m) k=\(k)")
        precondition(lda >= max(1, trans == .n ? k : m), "PackedA: lda=\(lda) too small for op(A) \(m)x\(k) (trans \(trans))")
        (self.m, self.k, mr, kernelName) = (m, k, context.kernel.mr, context.kernel.name)
        kcEven = KPartition(k: k, kc: context.kc).kc
        panels = (m + mr - 1) / mr
        buffer = AlignedBuffer(count: max(1, panels * mr * k))
        var pc = 0, pass = 0
        while pc < k {
            let kc = min(kcEven, k - pc)
            packA(trans, a: a, lda: lda, row: 0, col: pc, rows: m, kc: kc, mr: mr, into: buffer.pointer + pass * panels * mr * kcEven)
            pc += kc
            pass += 1
        }
        if pixelTiles, trans == .n, context.kernel.direct != nil, PackedA.takesPixelTiles(m: m, k: k, kc: context.kc) {
            let blocks = AlignedBuffer(count: m * k), width = DirectConvolutionTiles.pixelChannels
            for row in 0..<m {
                let block = blocks.pointer + (row / width) * k * width + row % width
                for q in 0..<k { block[q * width] = a[row * lda + q] }
            }
            channelBlocks = blocks
        } else {
            channelBlocks = nil
        }
    }

    /// Whether this pack has the pixel tile's blocks.
    public var takesPixelTiles: Bool { channelBlocks != nil }

    /// Whether an `m x k` A is packed for the pixel tile too: whole 32-channel blocks (a partial block
    /// would compute zero channels), one k pass (the tile's sums are the GEMM tile's only then), and deep
    /// enough (`DirectConvolutionTiles.pixelMinimumDepth`).
    static func takesPixelTiles(m: Int, k: Int, kc: Int) -> Bool {
        m > 0 && m % DirectConvolutionTiles.pixelChannels == 0 && k >= DirectConvolutionTiles.pixelMinimumDepth
            && k <= KPartition(k: k, kc: kc).kc
    }

    /// True when this pack was made for `context`'s kernel and k passes (a cache checks it before reuse).
    public func fits(_ context: GEMMContext) -> Bool {
        kernelName == context.kernel.name && kcEven == KPartition(k: k, kc: context.kc).kc
    }

    /// Stops with a message when this pack does not fit `context`'s kernel and k passes.
    func expectPacked(for context: GEMMContext) {
        precondition(fits(context), "sgemm: A was packed for kernel \(kernelName), not for \(context.kernel.name) with kc \(context.kc)")
    }

    @inline(__always)
    func block(row: Int, pc: Int, kc: Int) -> UnsafePointer<Float> {
        UnsafePointer(buffer.pointer + (pc / kcEven) * panels * mr * kcEven + (row / mr) * kc * mr)
    }
}

/// The two inner loops (JR over B micro-panels, IR over A micro-panels) around the micro-kernel.
/// The B micro-panel stays in L1 while the A block streams from L2.
@inline(__always)
func macroKernel(_ kernel: MicroKernel, kc: Int, mc: Int, nc: Int, alpha: Float,
                 packedA: UnsafePointer<Float>, packedB: UnsafeMutablePointer<Float>,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let mr = kernel.mr, nr = kernel.nr
    var j = 0
    while j < nc {
        let width = min(nr, nc - j)
        let bPanel = UnsafePointer(packedB + (j / nr) * kc * nr)
        var i = 0
        while i < mc {
            kernel.run(kc, alpha, packedA + i * kc, bPanel, beta,
                       c + i * ldc + j, ldc, min(mr, mc - i), width)
            i += mr
        }
        j += nr
    }
}

/// How workers split C: by rows (whole MR panels) or by columns (whole NR panels).
///
/// Splitting rows makes every worker pack all of B; splitting columns makes every worker pack
/// all of A. So split the dimension whose other operand is smaller to copy (rows when
/// m >= n), unless it has too few panels to go round.
public struct WorkerSplit {
    public let byRows: Bool
    /// Micro-panels along the split dimension: the units `ExecutionContext.forEachShare` hands out.
    public let panels: Int

    public init(workers: Int, m: Int, n: Int, mr: Int, nr: Int) {
        let mPanels = (m + mr - 1) / mr, nPanels = (n + nr - 1) / nr
        byRows = (m >= n && mPanels >= workers) || nPanels < workers
        panels = byRows ? mPanels : nPanels
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
