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

/// Times `body` `runs` times after `warmup` untimed runs; returns seconds per run.
public func measure(runs: Int, warmup: Int = 1, _ body: () -> Void) -> [Double] {
    for _ in 0..<warmup { body() }
    return (0..<runs).map { _ in
        let sw = Stopwatch()
        body()
        return sw.seconds
    }
}
