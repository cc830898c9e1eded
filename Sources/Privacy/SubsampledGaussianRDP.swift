#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rényi DP at order α of one step of the Poisson-subsampled Gaussian mechanism: each example joins the batch
/// with probability q, and Gaussian noise of standard deviation σ (in units of the L2 sensitivity) is added.
///
/// Mironov, Talwar, Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism", §3.3:
/// RDP(α) = log(A_α) / (α − 1), with A_α from the binomial expansion (integer α) or the erfc series (fractional α).
/// q = 0 gives 0 (no example is ever seen); q = 1 gives α/(2σ²), the plain Gaussian mechanism. T steps compose
/// to T times this value. The sums run in log space, as Opacus's do, so σ = 0.5 at α = 63 (terms near e^7800)
/// and q = 1e-5 (terms near e^-700) neither overflow nor underflow.
public func subsampledGaussianRDP(sampleRate q: Double, noiseMultiplier sigma: Double, order alpha: Double) -> Double {
    precondition(q >= 0 && q <= 1, "sample rate \(q) outside [0, 1]")
    precondition(sigma > 0 && sigma.isFinite, "noise multiplier \(sigma) must be positive and finite")
    precondition(alpha > 1 && alpha.isFinite, "RDP order \(alpha) must be finite and > 1")
    if q == 0 { return 0 }
    if q == 1 { return alpha / (2 * sigma * sigma) }
    let logA = alpha.rounded() == alpha
        ? logAIntegerOrder(q: q, sigma: sigma, alpha: Int(alpha))
        : logAFractionalOrder(q: q, sigma: sigma, alpha: alpha)
    return logA / (alpha - 1)
}

/// log A_α for integer α: log Σ_{i=0}^{α} C(α, i) q^i (1−q)^(α−i) e^((i²−i)/(2σ²)).
func logAIntegerOrder(q: Double, sigma: Double, alpha: Int) -> Double {
    let (logQ, log1MinusQ) = (log(q), log1p(-q))
    var logA = -Double.infinity
    var coefficient = BinomialCoefficient(alpha: Double(alpha))
    for i in 0...alpha {
        if i > 0 { coefficient.advance() }
        let i = Double(i)
        let logTerm = coefficient.logMagnitude + i * logQ + (Double(alpha) - i) * log1MinusQ + (i * i - i) / (2 * sigma * sigma)
        logA = logAdd(logA, logTerm)
    }
    return logA
}

/// log A_α for fractional α: A_α splits at z0 = σ² log(1/q − 1) + 1/2 into two series whose terms carry
/// erfc tails (Mironov et al. §3.3); the binomial C(α, i) changes sign once i > α, so terms are added or
/// subtracted by its sign. Summing stops when both new terms are below e^-30, Opacus's rule.
func logAFractionalOrder(q: Double, sigma: Double, alpha: Double) -> Double {
    let (logQ, log1MinusQ) = (log(q), log1p(-q))
    let z0 = sigma * sigma * (log1MinusQ - logQ) + 0.5
    let (twoSigmaSquared, sqrt2Sigma) = (2 * sigma * sigma, 2.0.squareRoot() * sigma)
    var (logA0, logA1) = (-Double.infinity, -Double.infinity)
    var coefficient = BinomialCoefficient(alpha: alpha)
    var i = 0.0
    while true {
        let j = alpha - i
        let logT0 = coefficient.logMagnitude + i * logQ + j * log1MinusQ
        let logT1 = coefficient.logMagnitude + j * logQ + i * log1MinusQ
        let logE0 = log(0.5) + logErfc((i - z0) / sqrt2Sigma)
        let logE1 = log(0.5) + logErfc((z0 - j) / sqrt2Sigma)
        let logS0 = logT0 + (i * i - i) / twoSigmaSquared + logE0
        let logS1 = logT1 + (j * j - j) / twoSigmaSquared + logE1
        if coefficient.isPositive {
            (logA0, logA1) = (logAdd(logA0, logS0), logAdd(logA1, logS1))
        } else {
            (logA0, logA1) = (logSub(logA0, logS0), logSub(logA1, logS1))
        }
        if max(logS0, logS1) < -30 { break }
        i += 1
        coefficient.advance()
    }
    return logAdd(logA0, logA1)
}

/// The generalised binomial coefficient C(α, i) for i = 0, 1, 2, … as a sign and log-magnitude, by the
/// recurrence C(α, i) = C(α, i−1)·(α − i + 1)/i: real α needs the sign, and the log keeps C(63, 31) ≈ 9e17 exact
/// to a few ulps without factorials.
struct BinomialCoefficient {
    let alpha: Double
    private(set) var i = 0.0
    private(set) var logMagnitude = 0.0
    private(set) var isPositive = true

    init(alpha: Double) { self.alpha = alpha }

    /// Moves from C(α, i) to C(α, i + 1).
    mutating func advance() {
        i += 1
        let factor = (alpha - i + 1) / i
        logMagnitude += log(abs(factor))
        if factor < 0 { isPositive.toggle() }
    }
}
