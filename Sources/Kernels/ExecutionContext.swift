/// How and where kernels run: the thread count, the micro-kernel with its blocking, the worker
/// threads and the scratch buffers. Made once by the caller (the CLI from `--threads`, a test, a
/// benchmark) and passed down to every layer, classifier, attack and trainer call.
///
/// Why a value passed down, not process-wide settings: two evaluations in one process (a test,
/// a server) with different thread counts must not see each other's settings, and which kernel
/// ran is then a visible argument. Results never depend on the context's thread count: work is
/// split so that every output element sees the same operations (see `Parallel`).
public final class ExecutionContext: @unchecked Sendable {
    /// Most threads any parallel region uses (the caller's thread is one of them).
    public let threads: Int
    /// The micro-kernel and the GEMM blocking; also fixes rounding (k passes), so one run uses one.
    public let gemm: GEMMContext
    /// Packing, im2col and padding buffers, reused across calls.
    public let workspaces = WorkspacePool()
    #if os(Linux)
    /// This context's own worker threads (started on first use, stopped when the context goes).
    let pool = WorkerPool()
    #endif

    /// `threads` is clamped to at least 1; `gemm` defaults to the best kernel this CPU runs
    /// (`MicroKernel.detected()`, which honours `ROBUST_KERNEL`) with its tuned blocking.
    public init(threads: Int, gemm: GEMMContext? = nil) {
        self.threads = max(1, threads)
        self.gemm = gemm ?? .tuned(for: .detected())
    }

    #if os(Linux)
    deinit { pool.stop() }
    #endif

    /// One thread, the detected kernel: for tests and small tools.
    public static func serial() -> ExecutionContext { ExecutionContext(threads: 1) }

    /// The cores this process may use (the CLI's default for `--threads`).
    public static var availableCores: Int { ProcessInfoCores.active }

    /// Runs `body(i)` for every `i` in `0..<count` on at most `threads` (default: the context's)
    /// workers. With one worker or one item, or inside another parallel region, it runs inline.
    public func forEach(_ count: Int, threads: Int? = nil, _ body: (Int) -> Void) {
        let workers = max(1, min(threads ?? self.threads, count))
        if workers == 1 || Parallel.isInsideWorker {
            for i in 0..<count { body(i) }
            return
        }
        #if os(Linux)
        if pool.run(count, participants: workers, body) { return }
        #endif
        Parallel.dispatchForEach(count, workers: workers, body)
    }

    /// Runs `body` on contiguous ranges covering `0..<units` once, about one per worker, sized on
    /// Linux by each worker's measured speed in earlier calls (see `WorkerPool.runShares`). For work
    /// that must stay in large blocks: a GEMM worker packs the operands of its own block of C.
    public func forEachShare(_ units: Int, threads: Int? = nil, _ body: (Range<Int>) -> Void) {
        let workers = max(1, min(threads ?? self.threads, units))
        if workers == 1 || Parallel.isInsideWorker {
            if units > 0 { body(0..<units) }
            return
        }
        #if os(Linux)
        if pool.runShares(units, participants: workers, body) { return }
        #endif
        Parallel.dispatchForEach(workers, workers: workers) { w in body(Parallel.share(units, parts: workers, index: w)) }
    }
}
