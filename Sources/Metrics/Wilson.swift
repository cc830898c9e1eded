/// The Wilson score interval for a binomial proportion at 95 % confidence (z = 1.96).
///
/// Why Wilson and not the normal approximation: it stays inside [0, 1] and is sensible at
/// 0 and n successes, which robust accuracy at large epsilon often is.
public func wilsonInterval(successes: Int, trials: Int, z: Double = 1.959963984540054) -> (low: Double, high: Double) {
    guard trials > 0 else { return (0, 1) }
    let n = Double(trials), p = Double(successes) / n
    let z2 = z * z
    let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    let half = z / (1 + z2 / n) * ((p * (1 - p) / n + z2 / (4 * n * n)).squareRoot())
    return (max(0, centre - half), min(1, centre + half))
}
