#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Clopper–Pearson ("exact") interval for a binomial proportion: each end is a one-sided bound at
/// (1 + confidence)/2, so for 95 % the low end is a 97.5 % lower bound and the high end a 97.5 % upper bound.
///
/// Why exact and not Wilson (Metrics' choice for accuracies): a DP audit must not claim more than the data
/// shows, and Clopper–Pearson never covers less than its level, notably at 0 or n successes where attacks at
/// low FPR live. Ends: low = Beta⁻¹((1−c)/2; x, n−x+1) (0 at x = 0), high = Beta⁻¹((1+c)/2; x+1, n−x) (1 at x = n).
public func clopperPearsonInterval(successes x: Int, trials n: Int, confidence: Double = 0.95) -> (low: Double, high: Double) {
    precondition(n > 0 && x >= 0 && x <= n, "need 0 ≤ successes ≤ trials and trials > 0")
    precondition(confidence > 0 && confidence < 1, "confidence must be in (0, 1)")
    let tail = (1 - confidence) / 2
    let low = x == 0 ? 0 : betaQuantile(tail, a: Double(x), b: Double(n - x + 1))
    let high = x == n ? 1 : betaQuantile(1 - tail, a: Double(x + 1), b: Double(n - x))
    return (low, high)
}

/// The p with I_p(a, b) = probability, by bisection on [0, 1] (I is increasing in p): slow but sure, and
/// exact to the last bits after ~60 halvings.
func betaQuantile(_ probability: Double, a: Double, b: Double) -> Double {
    var (low, high) = (0.0, 1.0)
    while true {
        let mid = (low + high) / 2
        if mid <= low || mid >= high { return mid }
        if regularizedIncompleteBeta(mid, a: a, b: b) < probability { low = mid } else { high = mid }
    }
}

/// I_x(a, b), the regularized incomplete beta function (the Beta(a, b) CDF at x), by its continued fraction
/// (modified Lentz; Numerical Recipes §6.4), on the side x < (a+1)/(a+b+2) where it converges fast, and by
/// I_x(a, b) = 1 − I_{1−x}(b, a) on the other.
func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(1 - x, a: b, b: a) }
    let logFront = a * log(x) + b * log1p(-x) - (logGamma(a) + logGamma(b) - logGamma(a + b))
    return exp(logFront) / a * betaContinuedFraction(x, a: a, b: b)
}

/// The continued fraction 1/(1+ d1/(1+ d2/(1+ …))) of I_x(a, b), evaluated to relative 1e-15.
private func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
    let tiny = 1e-300
    var c = 1.0
    var d = 1 - (a + b) * x / (a + 1)
    d = 1 / (abs(d) < tiny ? tiny : d)
    var result = d
    func multiply(by numerator: Double) {
        d = 1 + numerator * d
        d = 1 / (abs(d) < tiny ? tiny : d)
        c = 1 + numerator / c
        if abs(c) < tiny { c = tiny }
        result *= c * d
    }
    for m in 1...100_000 {
        let m = Double(m)
        multiply(by: m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)))
        multiply(by: -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)))
        if abs(c * d - 1) < 1e-15 { return result }
    }
    return result
}

/// log Γ(x) by the reentrant lgamma_r: plain lgamma writes the process-wide `signgam`.
private func logGamma(_ x: Double) -> Double {
    var sign: Int32 = 0
    return lgamma_r(x, &sign)
}
