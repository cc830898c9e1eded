#if os(Linux)
import Glibc
import Synchronization

/// Worker threads for `Parallel.forEach` that spin for a while after each job before they sleep.
///
/// Why: on these VMs a Dispatch worker that has been idle for a millisecond or two takes about as
/// long again to wake, so a parallel region of a few hundred microseconds (a dense layer's GEMM,
/// one step of a pruned attack batch) often ran on the calling thread alone: 128x3136x128 on two
/// threads measured anywhere from 75 to 170 GFLOP/s from one process to the next. A worker that
/// is still spinning starts within a microsecond. Workers sleep on a condition variable after
/// about a millisecond without work, so an idle process does not burn a core.
///
/// One job at a time: a caller that finds the pool busy (another thread's job) gets false from
/// `run` and uses Dispatch instead, as does a job wanting more threads than there are cores
/// (spinning threads would then take turns with the working ones).
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// Bumped once per job; workers wait for it to change.
    private let generation = Atomic<Int>(0)
    /// The next item of the current job to claim.
    private let next = Atomic<Int>(0)
    /// Pool threads that have not finished the current job.
    private let pending = Atomic<Int>(0)
    /// Set while a caller owns the pool.
    private let busy = Atomic<Bool>(false)
    // Heap-allocated: a C mutex must not move, and an inout class property is not guaranteed a fixed address.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // The current job, written by the caller before `generation` is bumped (release) and read by
    // workers after they see the bump (acquire).
    private var body: ((Int) -> Void)?
    private var count = 0
    private var participants = 0
    private var threads = 0

    private init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }

    /// Runs `body(i)` for `i` in `0..<count` on `participants` threads, the caller among them; each
    /// item goes to whichever participant claims it next. Returns false, having run nothing, when
    /// the pool is busy.
    func run(_ count: Int, participants: Int, _ body: (Int) -> Void) -> Bool {
        guard participants <= ProcessInfoCores.active,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        while threads < participants - 1 { spawn() }
        withoutActuallyEscaping(body) { body in
            self.body = body
            self.count = count
            self.participants = participants
            next.store(0, ordering: .relaxed)
            pending.store(threads, ordering: .relaxed)
            pthread_mutex_lock(mutex)
            generation.add(1, ordering: .releasing)
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(mutex)
            Parallel.withWorkerMarker { share(0) }
            while pending.load(ordering: .acquiring) != 0 {}
            self.body = nil
        }
        return true
    }

    /// Participant `p` claims items until none are left. Why claimed, not dealt `p, p + participants,
    /// ...`: one vCPU of these VMs often runs memory-bound work a third slower than the other (threads
    /// claiming a conv batch's 128 images took 78 and 52), and with dealt halves every job waited for
    /// the slower one. Which thread runs an item never changes what the item computes.
    private func share(_ p: Int) {
        guard p < participants, let body else { return }
        while true {
            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if i >= count { return }
            body(i)
        }
    }

    private func spawn() {
        threads += 1
        // The generation before this job's bump: a thread that starts late must still take the job.
        let (index, start) = (threads, generation.load(ordering: .acquiring))
        let context = Unmanaged.passRetained(Box { [unowned self] in self.work(index, after: start) }).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            box.run()
            return nil
        }, context)
        precondition(created == 0, "WorkerPool: pthread_create failed (\(created))")
        pthread_detach(thread)
    }

    /// A pool thread's life: wait for a job (spinning, then sleeping), do its share, report, repeat.
    private func work(_ index: Int, after start: Int) {
        Parallel.withWorkerMarker {
            var seen = start
            while true {
                var spins = 0
                while generation.load(ordering: .acquiring) == seen {
                    spins += 1
                    if spins < 1 << 20 { continue }
                    pthread_mutex_lock(mutex)
                    while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(wake, mutex) }
                    pthread_mutex_unlock(mutex)
                }
                seen = generation.load(ordering: .acquiring)
                share(index)
                pending.subtract(1, ordering: .releasing)
            }
        }
    }

    private final class Box {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }
}
#endif
