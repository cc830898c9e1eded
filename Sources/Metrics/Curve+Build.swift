/// Building curve points from per-sample records.
extension CurvePoint {
    /// The point for one attack at one epsilon from its sample records (one per evaluated sample).
    public static func from(attack: String, norm: String, eps: Double, records: [SampleRecord], queries: Int, seconds: Double) -> CurvePoint {
        let n = records.count
        let cleanCorrect = records.filter { $0.cleanPred == $0.label }.count
        let robust = records.filter(\.isRobust).count
        // Success is the attack's own goal: a wrong class, or for a targeted attack its target (a
        // sample sent to another wrong class lowers robust accuracy but is no targeted success).
        let fooled = records.filter { $0.cleanPred == $0.label && $0.success }
        let norms = fooled.map { norm == "l2" ? $0.l2 : $0.linf }.sorted()
        let (low, high) = wilsonInterval(successes: robust, trials: n)
        return CurvePoint(attack: attack, norm: norm, eps: eps, n: n,
                          cleanAcc: n == 0 ? 0 : Double(cleanCorrect) / Double(n),
                          robustAcc: n == 0 ? 0 : Double(robust) / Double(n), ciLow: low, ciHigh: high,
                          successRate: cleanCorrect == 0 ? 0 : Double(fooled.count) / Double(cleanCorrect),
                          medianNorm: median(norms), maxNorm: norms.last ?? 0, queries: queries, seconds: seconds)
    }

    /// Worst-case points: per norm and epsilon, a sample is robust only if it is robust under every
    /// attack that ran at that norm and epsilon. Points are sorted by norm, then epsilon.
    public static func worstCase(samples: [SampleRecord]) -> [CurvePoint] {
        var groups: [String: [Double: [Int: SampleRecord]]] = [:]
        for record in samples {
            // Keep, per sample, a non-robust record over a robust one (the worst case).
            let existing = groups[record.norm, default: [:]][record.eps, default: [:]][record.index]
            if existing == nil || (existing!.isRobust && !record.isRobust) {
                groups[record.norm, default: [:]][record.eps, default: [:]][record.index] = record
            }
        }
        var points: [CurvePoint] = []
        for norm in groups.keys.sorted() {
            for eps in groups[norm]!.keys.sorted() {
                let records = groups[norm]![eps]!.values.sorted { $0.index < $1.index }
                points.append(.from(attack: worstCase, norm: norm, eps: eps, records: records, queries: 0, seconds: 0))
            }
        }
        return points
    }
}

/// The median of sorted values (mean of the middle two for an even count), 0 for none.
func median(_ sorted: [Double]) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
