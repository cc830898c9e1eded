#if os(Linux)
import Dispatch
import Glibc
import Synchronization

/// Worker threads for `ExecutionContext.forEach` that spin for a while after each job before they sleep.
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
/// (spinning threads would then take turns with the working ones). Each `ExecutionContext` owns
/// one pool; its threads start on first use and end when the context is released.
final class WorkerPool: @unchecked Sendable {
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
    private var job: ((Int) -> Void)?
    private var participants = 0
    // `runShares`' state, one slot per participant (caller 0, pool thread i); each participant writes
    // only its own slot, and the caller reads them after `pending` reaches zero (acquire).
    private static let slots = 256
    private let speed = UnsafeMutablePointer<Double>.allocate(capacity: slots)
    private let chunk = UnsafeMutablePointer<Int>.allocate(capacity: slots)
    private let unitsDone = UnsafeMutablePointer<Int>.allocate(capacity: slots)
    private let busyNanos = UnsafeMutablePointer<UInt64>.allocate(capacity: slots)
    private var threads = 0
    /// Set once, by `stop`: pool threads leave their loop when they see it.
    private let stopping = Atomic<Bool>(false)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        speed.initialize(repeating: 1, count: Self.slots)
    }

    /// Ends the pool threads after their current job (the owning context calls it when it goes).
    /// Each thread holds the pool, so the pool itself is freed when the last one has left.
    func stop() {
        stopping.store(true, ordering: .releasing)
        pthread_mutex_lock(mutex)
        generation.add(1, ordering: .releasing)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        for pointer in [UnsafeMutableRawPointer(mutex), UnsafeMutableRawPointer(wake), UnsafeMutableRawPointer(speed),
                        UnsafeMutableRawPointer(chunk), UnsafeMutableRawPointer(unitsDone), UnsafeMutableRawPointer(busyNanos)] {
            pointer.deallocate()
        }
    }

    /// Runs `body(i)` for `i` in `0..<count` on `participants` threads, the caller among them; each
    /// item goes to whichever participant claims it next. Why claimed, not dealt `p, p + participants,
    /// ...`: one vCPU of these VMs often runs memory-bound work a third slower than the other (threads
    /// claiming a conv batch's 128 images took 78 and 52), and with dealt halves every job waited for
    /// the slower one. Which thread runs an item never changes what the item computes. Returns false,
    /// having run nothing, when the pool is busy.
    func run(_ count: Int, participants: Int, _ body: (Int) -> Void) -> Bool {
        guard acquire(participants) else { return false }
        defer { busy.store(false, ordering: .releasing) }
        dispatch(participants) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= count { return }
                body(i)
            }
        }
        return true
    }

    /// Splits `0..<units` into contiguous ranges, one per participant, sized by how fast each
    /// participant ran earlier jobs, and runs `body` on them. Returns false, having run nothing, when
    /// the pool is busy.
    ///
    /// Why: a GEMM's workers each own a block of C and pack their own operands, so they cannot take
    /// items one at a time as `run` hands them out. With equal blocks, a 2048³ GEMM on two threads
    /// waited for the slower vCPU (65 ms against 95-145 ms for the same half, the slow one being
    /// whichever vCPU a neighbour was using). A participant that finds its range taken (it started late)
    /// takes what is left.
    func runShares(_ units: Int, participants: Int, _ body: (Range<Int>) -> Void) -> Bool {
        guard acquire(participants) else { return false }
        defer { busy.store(false, ordering: .releasing) }
        let sizes = WorkShares.sizes(units, speeds: (0..<participants).map { speed[$0] })
        for p in 0..<participants { chunk[p] = sizes[p] }
        dispatch(participants) { p in
            let start = DispatchTime.now().uptimeNanoseconds
            var done = 0
            while true {
                let lo = next.wrappingAdd(chunk[p], ordering: .relaxed).oldValue
                if lo >= units { break }
                let hi = min(units, lo + chunk[p])
                body(lo..<hi)
                done += hi - lo
            }
            unitsDone[p] = done
            busyNanos[p] = DispatchTime.now().uptimeNanoseconds - start
        }
        learnSpeeds(participants)
        return true
    }

    /// Moves each participant's speed halfway to its rate in the last job (see `learnedSpeeds`).
    private func learnSpeeds(_ participants: Int) {
        let learned = WorkShares.learnedSpeeds((0..<participants).map { speed[$0] },
                                               unitsDone: (0..<participants).map { unitsDone[$0] },
                                               busyNanos: (0..<participants).map { busyNanos[$0] })
        for (p, v) in (learned ?? []).enumerated() { speed[p] = v }
    }

    /// Takes the pool for one job (false when another caller has it, or the job wants more threads
    /// than there are cores), with enough pool threads for `participants`.
    private func acquire(_ participants: Int) -> Bool {
        guard participants <= min(ProcessInfoCores.active, Self.slots),
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        while threads < participants - 1 { spawn() }
        return true
    }

    /// Runs `job(p)` once on each of `participants` threads (the caller is p = 0, pool thread i is p = i)
    /// and returns when all are done. The caller must hold the pool (`acquire`).
    private func dispatch(_ participants: Int, _ job: (Int) -> Void) {
        withoutActuallyEscaping(job) { job in
            self.job = job
            self.participants = participants
            next.store(0, ordering: .relaxed)
            pending.store(threads, ordering: .relaxed)
            pthread_mutex_lock(mutex)
            generation.add(1, ordering: .releasing)
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(mutex)
            Parallel.withWorkerMarker { job(0) }
            while pending.load(ordering: .acquiring) != 0 {}
            self.job = nil
        }
    }

    /// Pool thread `p`'s part of the current job (none when the job wants fewer threads).
    private func take(_ p: Int) {
        guard p < participants, let job else { return }
        job(p)
    }

    private func spawn() {
        threads += 1
        // The generation before this job's bump: a thread that starts late must still take the job.
        let (index, start) = (threads, generation.load(ordering: .acquiring))
        let context = Unmanaged.passRetained(Box { [self] in self.work(index, after: start) }).toOpaque()
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
                if stopping.load(ordering: .acquiring) { return }
                take(index)
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
