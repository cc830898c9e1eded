#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// log(erfc(x)), accurate where erfc itself underflows (x > 26.5): the accountant's fractional-order series
/// and LiRA's tail scores both need it far out in the tail.
///
/// Below x = 25, erfc is accurate to a few ulps and erfc(25) ≈ 8e-274 is still a normal double. Above, the
/// asymptotic series erfc(x) = e^(-x²)/(x√π) · (1 − 1/(2x²) + 3/(2x²)² − 15/(2x²)³ + …) is used; at x ≥ 25 the
/// first omitted term (the seventh) is below 3e-17 of the sum.
func logErfc(_ x: Double) -> Double {
    if x < 25 { return log(erfc(x)) }
    let u = 1 / (2 * x * x)
    var term = 1.0, sum = 1.0
    for k in 1...6 {
        term *= -Double(2 * k - 1) * u
        sum += term
    }
    return -x * x - log(x) - 0.5 * log(Double.pi) + log(sum)
}

/// Φ(z), the standard normal CDF, as erfc(−z/√2)/2: accurate in the lower tail, where 1 − erfc would cancel.
public func normalCDF(_ z: Double) -> Double {
    0.5 * erfc(-z / 2.0.squareRoot())
}

/// log(1 − Φ(z)), the log of the standard normal survival function, finite for any finite z (−z²/2 − … far out).
public func normalLogSurvival(_ z: Double) -> Double {
    log(0.5) + logErfc(z / 2.0.squareRoot())
}
