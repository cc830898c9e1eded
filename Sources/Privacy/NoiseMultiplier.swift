/// The largest noise multiplier `noiseMultiplier(targetEpsilon:…)` tries before giving up (Opacus's MAX_SIGMA).
public let maxNoiseMultiplier = 1e6

/// The smallest σ (to the search's resolution) whose ε after `steps` steps at sample rate q is at most the
/// target, found as Opacus 1.6's `get_noise_multiplier` finds it, so the two agree to the last bit of the search.
///
/// Doubling from σ = 20 until ε ≤ target (throwing `unreachableEpsilon` past `maxNoiseMultiplier`), then
/// bisecting [0, σ_high] until target − ε(σ_high) ≤ `epsilonTolerance`; returns σ_high, whose ε is in
/// [target − tolerance, target]. ε can only be reached if it is above the conversion's floor (about 0.1 at δ = 1e-5).
public func noiseMultiplier(targetEpsilon: Double, delta: Double, sampleRate: Double, steps: Int,
                            epsilonTolerance: Double = 0.01, orders: [Double] = defaultRDPOrders) throws -> Double {
    guard targetEpsilon > 0 && targetEpsilon.isFinite else { throw PrivacyError.invalidEpsilon(targetEpsilon) }
    guard delta > 0 && delta < 1 else { throw PrivacyError.invalidDelta(delta) }
    precondition(epsilonTolerance > 0, "epsilon tolerance must be positive")
    func epsilon(_ sigma: Double) throws -> Double {
        var accountant = RDPAccountant()
        try accountant.record(noiseMultiplier: sigma, sampleRate: sampleRate, steps: steps)
        return try accountant.epsilon(delta: delta, orders: orders).epsilon
    }
    var (sigmaLow, sigmaHigh, epsilonHigh) = (0.0, 10.0, Double.infinity)
    while epsilonHigh > targetEpsilon {
        sigmaHigh *= 2
        epsilonHigh = try epsilon(sigmaHigh)
        if sigmaHigh > maxNoiseMultiplier { throw PrivacyError.unreachableEpsilon(target: targetEpsilon, delta: delta) }
    }
    while targetEpsilon - epsilonHigh > epsilonTolerance {
        let sigma = (sigmaLow + sigmaHigh) / 2
        let epsilonMid = try epsilon(sigma)
        if epsilonMid < targetEpsilon {
            (sigmaHigh, epsilonHigh) = (sigma, epsilonMid)
        } else {
            sigmaLow = sigma
        }
    }
    return sigmaHigh
}
