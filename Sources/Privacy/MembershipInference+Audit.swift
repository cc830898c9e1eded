#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A measured attack point that an (ε, δ)-DP claim rules out: even its pessimistic rates break TPR ≤ e^ε·FPR + δ.
public struct DPAuditViolation: Equatable, Sendable {
    public let point: ROCPoint
    /// The low end of the TPR's Clopper–Pearson interval.
    public let tprLow: Double
    /// The high end of the FPR's Clopper–Pearson interval.
    public let fprHigh: Double
    /// tprLow − (e^ε·fprHigh + δ), positive.
    public let excess: Double
    /// The ε this point alone proves, log((tprLow − δ)/fprHigh): the claim's ε is at least this.
    public let epsilonLowerBound: Double
}

extension ROCCurve {
    /// The worst point of the curve against an (ε, δ)-DP claim, or nil when every point is consistent with it.
    ///
    /// Any attack on an (ε, δ)-DP training run satisfies TPR ≤ e^ε·FPR + δ (Kairouz et al. 2015). Each point is
    /// checked with its TPR's low end and its FPR's high end (Clopper–Pearson, each a one-sided (1+c)/2 bound,
    /// so both hold together with probability ≥ c), so sampling noise alone does not make a violation. The scan
    /// over all thresholds is not corrected for multiplicity: a violation holds at level c for its own point.
    public func worstDPViolation(epsilon: Double, delta: Double, confidence: Double = 0.95) throws -> DPAuditViolation? {
        guard epsilon >= 0 && epsilon.isFinite else { throw PrivacyError.invalidEpsilon(epsilon) }
        guard delta >= 0 && delta < 1 else { throw PrivacyError.invalidDelta(delta) }
        var worst: DPAuditViolation?
        // The interval ends are never kinder than the raw rates, so a point the raw rates allow is skipped.
        for point in points where point.tpr > exp(epsilon) * point.fpr + delta {
            let tprLow = tprInterval(point, confidence: confidence).low
            let fprHigh = fprInterval(point, confidence: confidence).high
            let excess = tprLow - (exp(epsilon) * fprHigh + delta)
            if excess > 0 && excess > (worst?.excess ?? 0) {
                worst = DPAuditViolation(point: point, tprLow: tprLow, fprHigh: fprHigh, excess: excess,
                                         epsilonLowerBound: log((tprLow - delta) / fprHigh))
            }
        }
        return worst
    }
}
