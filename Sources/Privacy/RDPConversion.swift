#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opacus's default RDP orders: 1.1, 1.2, …, 10.9, then 12, 13, …, 63. Computed as Opacus computes them
/// (1 + x/10), so every order is the same double and a best order compares equal.
public let defaultRDPOrders: [Double] = (1...99).map { 1 + Double($0) / 10 } + (12...63).map(Double.init)

/// The (ε, δ)-DP guarantee implied by RDP values at several orders, and the order that gives the smallest ε.
///
/// Balle et al. 2020, "Hypothesis testing interpretations and Rényi differential privacy", Theorem 21, as in
/// Opacus 1.6's `get_privacy_spent`: ε(α) = rdp(α) − (log δ + log α)/(α − 1) + log((α − 1)/α), minimised over α.
/// NaN values are skipped (Opacus's `nanargmin`); ties go to the first order. All-NaN gives (∞, NaN).
public func privacySpent(orders: [Double], rdp: [Double], delta: Double) -> (epsilon: Double, order: Double) {
    precondition(orders.count == rdp.count && !orders.isEmpty, "one RDP value per order, at least one order")
    precondition(delta > 0 && delta < 1, "delta \(delta) outside (0, 1)")
    var best: (epsilon: Double, order: Double)?
    for (alpha, value) in zip(orders, rdp) {
        let epsilon = value - (log(delta) + log(alpha)) / (alpha - 1) + log((alpha - 1) / alpha)
        if !epsilon.isNaN && (best == nil || epsilon < best!.epsilon) { best = (epsilon, alpha) }
    }
    return best ?? (.infinity, .nan)
}
