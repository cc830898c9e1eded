import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The parts of parallel-for that need no context: the nesting marker, the Dispatch fallback and
/// the share arithmetic. `ExecutionContext.forEach` and `forEachShare` are the entry points.
///
/// An item's result never depends on which worker runs it, and no caller splits a reduction
/// across items in a thread-dependent way, so every result is bit-identical whatever the thread
/// count. (The pool hands items out as workers claim them; the Dispatch fallback deals item `i`
/// to worker `i % workers`.)
public enum Parallel {
    /// `body(i)` for `i` in `0..<count` on `workers` Dispatch workers, item `i` on worker `i % workers`.
    static func dispatchForEach(_ count: Int, workers: Int, _ body: (Int) -> Void) {
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

/// The thread-specific slot that marks parallel-for workers (any non-nil value means "inside").
private let workerKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()
private let workerMarker = UnsafeRawPointer(bitPattern: 1)
