import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thread-count policy and a parallel-for (on Linux over `WorkerPool`, elsewhere over Dispatch).
///
/// An item's result never depends on which worker runs it, and no caller splits a reduction
/// across items in a thread-dependent way, so every result is bit-identical whatever the thread
/// count. (The pool hands items out as workers claim them; the Dispatch fallback deals item `i`
/// to worker `i % threads`.)
public enum Parallel {
    /// Threads used when a call does not say. The CLI sets it from `--threads`; it starts at
    /// the number of active cores.
    nonisolated(unsafe) public static var defaultThreads: Int = ProcessInfoCores.active

    /// Runs `body(i)` for every `i` in `0..<count` on at most `threads` workers.
    /// With one worker, or one item, it runs inline with no dispatch at all.
    /// Inside another `forEach`'s body it also runs inline: the outer loop already holds the cores
    /// (a classifier running micro-batches in parallel calls layers that parallelise themselves).
    public static func forEach(_ count: Int, threads: Int = defaultThreads, _ body: (Int) -> Void) {
        let workers = max(1, min(threads, count))
        if workers == 1 || isInsideWorker {
            for i in 0..<count { body(i) }
            return
        }
        #if os(Linux)
        if WorkerPool.shared.run(count, participants: workers, body) { return }
        #endif
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                withWorkerMarker {
                    var i = w
                    while i < count {
                        body(i)
                        i += workers
                    }
                }
            }
        }
    }

    /// Runs `body` with this thread marked as a `forEach` worker (see `isInsideWorker`).
    static func withWorkerMarker(_ body: () -> Void) {
        pthread_setspecific(workerKey, workerMarker)
        defer { pthread_setspecific(workerKey, nil) }
        body()
    }

    /// True on a thread that is running a `forEach` body dispatched to several workers.
    public static var isInsideWorker: Bool { pthread_getspecific(workerKey) != nil }

    /// Runs `body` on contiguous ranges that cover `0..<units` exactly once, about one per worker,
    /// sized on Linux by each worker's measured speed in earlier calls (see `WorkerPool.runShares`),
    /// elsewhere equal. For work that must stay in large blocks: a GEMM worker packs the operands of
    /// its own block of C. The ranges never change what `body` computes for a unit.
    public static func forEachShare(_ units: Int, threads: Int = defaultThreads, _ body: (Range<Int>) -> Void) {
        let workers = max(1, min(threads, units))
        if workers == 1 || isInsideWorker {
            if units > 0 { body(0..<units) }
            return
        }
        #if os(Linux)
        if WorkerPool.shared.runShares(units, participants: workers, body) { return }
        #endif
        forEach(workers, threads: workers) { w in body(share(units, parts: workers, index: w)) }
    }

    /// The `index`-th of `parts` near-equal contiguous shares of `0..<total`.
    public static func share(_ total: Int, parts: Int, index: Int) -> Range<Int> {
        let base = total / parts, extra = total % parts
        let lo = index * base + min(index, extra)
        return lo..<(lo + base + (index < extra ? 1 : 0))
    }
}

/// The number of cores the process may use.
enum ProcessInfoCores {
    static var active: Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return max(1, Int(sysconf(_SC_NPROCESSORS_ONLN)))
        #endif
    }
}

/// The thread-specific slot that marks `Parallel.forEach` workers (any non-nil value means "inside").
private let workerKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()
private let workerMarker = UnsafeRawPointer(bitPattern: 1)
