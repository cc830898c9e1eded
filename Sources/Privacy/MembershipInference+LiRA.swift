/// The Gaussian fitted to an example's φ under the shadow models that were not trained on it (its OUT models).
public struct OutGaussian: Equatable, Sendable {
    public let mean: Double
    public let variance: Double

    /// Offline LiRA's score for the target model's φ: −log Pr[Z > φ], Z ~ N(mean, variance).
    ///
    /// Carlini et al. 2022 ("Membership Inference Attacks From First Principles", offline variant) score
    /// Λ = 1 − Pr[Z > φ]: a member's φ sits high in the OUT distribution. −log Pr[Z > φ] orders examples the same
    /// way and does not saturate at 1 where Λ does (z > 8.3), which is where low-FPR attacks operate. The standard
    /// deviation is kept above 1e-30 (the paper's code adds 1e-30), so a zero variance gives ±huge z, not NaN.
    public func score(_ phi: Double) -> Double {
        let z = (phi - mean) / max(variance.squareRoot(), 1e-30)
        return -normalLogSurvival(z)
    }
}

/// How LiRA estimates each OUT Gaussian's variance.
public enum LiRAVariance: Sendable {
    /// The example's own OUT φ's (unbiased, needs ≥ 2 per example).
    case perExample
    /// One variance pooled over all examples, Σ_i Σ_k (φ_ik − μ_i)² / Σ_i (K_i − 1): the paper's advice when
    /// there are few shadow models. Each example keeps its own mean (the paper's code instead takes the spread of
    /// all φ's together, which also counts the spread of the means).
    case global
}

/// Fits one OUT Gaussian per example from its OUT φ's (`outConfidences[i]` holds example i's φ under each
/// shadow model that did not train on it; counts may differ between examples).
public func fitOutGaussians(outConfidences: [[Double]], variance: LiRAVariance) throws -> [OutGaussian] {
    let needed = variance == .perExample ? 2 : 1
    for (i, values) in outConfidences.enumerated() {
        guard values.count >= needed else { throw PrivacyError.tooFewShadowModels(example: i, count: values.count, needed: needed) }
        guard !values.contains(where: \.isNaN) else { throw PrivacyError.invalidScores("example \(i) has a NaN OUT confidence") }
    }
    let means = outConfidences.map { $0.reduce(0, +) / Double($0.count) }
    // Two passes (mean, then squared deviations): no cancellation when φ's are large and close together.
    let squaredDeviations = zip(outConfidences, means).map { values, mean in values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } }
    switch variance {
    case .perExample:
        return outConfidences.indices.map { i in
            OutGaussian(mean: means[i], variance: squaredDeviations[i] / Double(outConfidences[i].count - 1))
        }
    case .global:
        let degreesOfFreedom = outConfidences.reduce(0) { $0 + $1.count - 1 }
        guard degreesOfFreedom > 0 else { throw PrivacyError.noVarianceEstimate }
        let pooled = squaredDeviations.reduce(0, +) / Double(degreesOfFreedom)
        return means.map { OutGaussian(mean: $0, variance: pooled) }
    }
}

/// Offline LiRA: each example's score from the target model's φ (`targetConfidences[i]`) against its OUT
/// Gaussian; feed member and non-member scores to `ROCCurve`.
public func offlineLiRAScores(targetConfidences: [Double], outConfidences: [[Double]], variance: LiRAVariance) throws -> [Double] {
    precondition(targetConfidences.count == outConfidences.count, "one target confidence per example")
    return zip(try fitOutGaussians(outConfidences: outConfidences, variance: variance), targetConfidences).map { $0.score($1) }
}
