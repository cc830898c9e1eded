/// How bounds computed in Float32 stay sound: every step rounds outward by an amount it can prove.
///
/// A certificate is a claim about the real-valued network (the layers' formulas on their Float32 weights), so
/// Float rounding must never make a lower bound larger than the true minimum. Three rules cover every step:
///
/// 1. **Sums on the shared GEMM** (Linear, Conv2d, pools). A sum of `k` products computed in Float, in any order,
///    is within `gamma_k * sum |terms|` of the exact sum, `gamma_k = k u / (1 - k u)`, `u = 2^-24` (Higham,
///    *Accuracy and Stability of Numerical Algorithms*, 3.1; a fused multiply-add only rounds less). Each such
///    step is widened by `allowance(k) * (a bound on sum |terms|)`, with `allowance(k) = (k + 16) * 2^-23 =
///    2 (k + 16) u`: twice `gamma_k` plus `32 u` for the few elementwise roundings around the GEMM (centre,
///    radius, the final add). Cost: one elementwise pass, no extra GEMM in IBP.
/// 2. **Elementwise maps** (Normalize, BatchNorm, the ReLU upper line's slope) are computed in Double and
///    rounded outward to Float (`roundedDown`/`roundedUp`), or, when a Float coefficient is stored, charged
///    `u * |coefficient| * |input|` in the bound's offset.
/// 3. **Sums into a final bound** (the elided last layer, CROWN's offsets and its concretisation at the input)
///    run in Double and keep `magnitude`, the sum of the absolute values of their terms; `finalAllowance`
///    subtracts `1e-6 + 1e-7 * magnitude`, far above Double's `n * 2^-53` relative error for any n below
///    10^8 terms, so no cancellation in the last sums can certify an unsound sample.
///
/// Overflow is the one case the error bounds do not cover: a sample whose bounds ever become non-finite gets
/// the lower bound `-infinity` (never certified). Underflow costs at most `2^-150` per product: covered by the
/// `Float.leastNormalMagnitude` every widened IBP radius adds, and in CROWN by the final allowance's `1e-6`.
enum Rounding {
    /// `2 (k + 16) u`: the relative widening of a Float sum of `k` products (see rule 1).
    static func allowance(_ k: Int) -> Float { Float(k + 16) * Float.ulpOfOne }

    /// The relative error of storing one Double product as a Float, with a factor 2 of headroom (rule 2).
    static let storage = Double(Float.ulpOfOne)

    /// What a bound computed with Double sums of absolute size `magnitude` loses before it is trusted (rule 3).
    static func finalAllowance(magnitude: Double) -> Double { 1e-6 + 1e-7 * magnitude }

    /// A Float below the real number that `value` approximates, when `value` is exact or one Double rounding
    /// away from it: the nearest Float, one step down. (Round-to-nearest leaves the real number above the
    /// midpoint between that Float and the next one down, and a Double rounding moves it far less than that.)
    /// Infinities stay as they are.
    static func roundedDown(_ value: Double) -> Float { value == .infinity ? .infinity : Float(value).nextDown }

    /// A Float above the real number that `value` approximates (as `roundedDown`, one step up).
    static func roundedUp(_ value: Double) -> Float { value == -.infinity ? -.infinity : Float(value).nextUp }
}
