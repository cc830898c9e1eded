#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// log(e^a + e^b) without overflow: the accountant's sums of terms like e^700 stay finite in log space.
func logAdd(_ a: Double, _ b: Double) -> Double {
    let (low, high) = (min(a, b), max(a, b))
    if low == -.infinity { return high }
    return log1p(exp(low - high)) + high
}

/// log(e^a - e^b) for a ≥ b; -infinity (log 0) when they are equal. When e^(a-b) overflows, log(e^(a-b) - 1)
/// equals a - b to double precision, so the result is a (as Opacus's `_log_sub` returns on OverflowError).
func logSub(_ a: Double, _ b: Double) -> Double {
    precondition(a >= b, "logSub: the result of a subtraction in log space must be non-negative")
    if b == -.infinity { return a }
    if a == b { return -.infinity }
    let difference = a - b
    return difference > 700 ? a : log(expm1(difference)) + b
}
