import Privacy
import Reports
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ROCCurve {
    /// The most points privacy.json keeps per curve.
    public static let maxRecordedPoints = 2000

    /// The curve's points as records, thinned to at most `limit` points that are all exact points of the curve.
    ///
    /// A point is kept when it is the first or the last, or when its FPR or its TPR differs from the last kept
    /// point's by at least a factor 10^step (a rate leaving 0 always counts). On log-log axes that spaces the kept
    /// points evenly, and at low rates, where each false positive is a large step, every point is kept. `step`
    /// is the smallest (found by bisection) that keeps at most `limit` points; with few points nothing is dropped.
    public func thinnedRecords(limit: Int = maxRecordedPoints) -> [ROCSample] {
        precondition(limit >= 2, "a curve needs its two ends")
        func kept(step: Double) -> [ROCPoint] {
            var out = [points[0]]
            for point in points.dropFirst().dropLast() {
                let last = out[out.count - 1]
                if Self.logDistance(point.fpr, last.fpr) >= step || Self.logDistance(point.tpr, last.tpr) >= step { out.append(point) }
            }
            if points.count > 1 { out.append(points[points.count - 1]) }
            return out
        }
        var chosen = points
        if points.count > limit {
            var (low, high) = (0.0, 1.0) // at step 1 (a factor 10) at most ~4 points per decade and axis remain
            chosen = kept(step: high)
            for _ in 0..<40 {
                let mid = (low + high) / 2
                let candidate = kept(step: mid)
                if candidate.count <= limit { (high, chosen) = (mid, candidate) } else { low = mid }
            }
        }
        return chosen.map { ROCSample(fpr: $0.fpr, tpr: $0.tpr, truePositives: $0.truePositives, falsePositives: $0.falsePositives) }
    }

    /// |log10 a − log10 b|, infinite when exactly one of them is 0.
    private static func logDistance(_ a: Double, _ b: Double) -> Double {
        if a == b { return 0 }
        if a == 0 || b == 0 { return .infinity }
        return abs(log10(a) - log10(b))
    }

    /// The best TPR at FPR ≤ `fpr`, with its Clopper–Pearson interval (95 %).
    func operatingPoint(atFPR fpr: Double) -> OperatingPoint {
        let point = point(atFPR: fpr)
        let interval = tprInterval(point)
        return OperatingPoint(targetFpr: fpr, fpr: point.fpr, tpr: point.tpr, tprLow: interval.low, tprHigh: interval.high,
                              truePositives: point.truePositives, falsePositives: point.falsePositives,
                              threshold: point.threshold.isFinite ? point.threshold : nil)
    }
}
