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
