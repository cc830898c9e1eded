import Dispatch

/// Wall-clock timing with a monotonic clock.
public struct Stopwatch {
    private let start = DispatchTime.now().uptimeNanoseconds
    public init() {}
    /// Seconds since this stopwatch was made.
    public var seconds: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}

/// Summary of repeated measurements: the median is what BENCHMARKS.md quotes.
public struct Summary: Codable, Sendable {
    public var median: Double
    public var min: Double
    public var max: Double

    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "Summary of no measurements")
        let s = values.sorted()
        median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        min = s.first!
        max = s.last!
    }
}

/// Times `body` `runs` times after a warm-up of at least `warmup` untimed runs and `warmupSeconds`;
/// returns seconds per run.
///
/// Why a timed warm-up: a process's first tens of milliseconds run slow (traces showed the new pool
/// thread and the caller taking turns instead of running together, and pages are touched for the
/// first time), and a sub-millisecond GEMM would otherwise spend all its timed runs there:
/// 128x3136x128 on two threads measured a median of 56-148 GFLOP/s over 41 runs and ~200 over 301.
public func measure(runs: Int, warmup: Int = 1, warmupSeconds: Double = 0.2, _ body: () -> Void) -> [Double] {
    let warm = Stopwatch()
    var done = 0
    while done < warmup || warm.seconds < warmupSeconds {
        body()
        done += 1
    }
    return (0..<runs).map { _ in
        let sw = Stopwatch()
        body()
        return sw.seconds
    }
}

/// Times `a` and `b` alternately, `pairs` times each after a warm-up of both, and returns each pair's
/// `time(a) / time(b)` (above 1: `b` is faster). The order inside a pair alternates.
///
/// Why pairs: these machines' speed drifts by tens of percent from minute to minute (other tenants'
/// memory traffic), so two medians taken a minute apart cannot resolve a 5 % change; two runs a few
/// milliseconds apart see the same machine, and the median of their ratios can.
public func measurePaired(pairs: Int, _ a: () -> Void, _ b: () -> Void) -> [Double] {
    a(); b()
    return (0..<pairs).map { i in
        let first = Stopwatch()
        if i % 2 == 0 { a() } else { b() }
        let t0 = first.seconds
        let second = Stopwatch()
        if i % 2 == 0 { b() } else { a() }
        let t1 = second.seconds
        return i % 2 == 0 ? t0 / t1 : t1 / t0
    }
}
