/// The arithmetic of `WorkerPool.runShares`, apart from the threads and clocks so it can be tested
/// exactly: how a job's units are shared by measured speed, and how speeds are learnt.
public enum WorkShares {
    /// Each participant's block of `units`, in proportion to its speed (rounded up, at least 1).
    public static func sizes(_ units: Int, speeds: [Double]) -> [Int] {
        let total = speeds.reduce(0, +)
        return speeds.map { max(1, Int((Double(units) * $0 / total).rounded(.up))) }
    }

    /// Speeds moved halfway to each participant's rate in the last job (units per unit of time,
    /// relative to the participants' mean), kept within [0.25, 4]. Nil for jobs under 200 µs, or where
    /// a participant found nothing to do: they say nothing about the cores.
    public static func learnedSpeeds(_ speeds: [Double], unitsDone: [Int], busyNanos: [UInt64]) -> [Double]? {
        guard unitsDone.allSatisfy({ $0 > 0 }), (busyNanos.max() ?? 0) > 200_000 else { return nil }
        let rates = zip(unitsDone, busyNanos).map { Double($0) / Double(max(1, $1)) }
        let mean = rates.reduce(0, +) / Double(rates.count)
        return zip(speeds, rates).map { min(4, max(0.25, 0.5 * $0 + 0.5 * $1 / mean)) }
    }
}
