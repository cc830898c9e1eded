/// Why a privacy computation cannot run on the values it was given, worded as one line with the fix.
///
/// These are user values (flags, configuration, data); a caller that passes values it has already checked
/// never sees them. Programmer errors (an empty order list, an order ≤ 1) are preconditions instead.
public enum PrivacyError: Error, CustomStringConvertible, Equatable {
    /// σ must be a positive finite number: at σ = 0 the mechanism adds no noise and has no finite ε.
    case invalidNoiseMultiplier(Double)
    /// q must lie in (0, 1]: it is the probability that an example is in a batch.
    case invalidSampleRate(Double)
    case invalidDelta(Double)
    case invalidSteps(Int)
    case invalidEpsilon(Double)
    /// No σ up to `maxNoiseMultiplier` brings ε down to the target.
    case unreachableEpsilon(target: Double, delta: Double)
    /// A score list (members, non-members, a shadow model's confidences) is empty or holds NaN.
    case invalidScores(String)
    /// LiRA needs OUT confidences for every example: two for a per-example variance, one for the global one.
    case tooFewShadowModels(example: Int, count: Int, needed: Int)
    /// The global variance pools examples with two or more OUT confidences; there were none.
    case noVarianceEstimate

    public var description: String {
        switch self {
        case let .invalidNoiseMultiplier(sigma):
            return "noise multiplier \(sigma) is not a positive number; use a value > 0 (e.g. 1.0)"
        case let .invalidSampleRate(q):
            return "sample rate \(q) is outside (0, 1]; use batch size / dataset size"
        case let .invalidDelta(delta):
            return "delta \(delta) is out of range; use a value in (0, 1) below 1 / dataset size (e.g. 1e-5)"
        case let .invalidSteps(steps):
            return "step count \(steps) is below 1; use the number of optimiser steps taken"
        case let .invalidEpsilon(epsilon):
            return "epsilon \(epsilon) is out of range; use a positive finite value (e.g. 8)"
        case let .unreachableEpsilon(target, delta):
            return "no noise multiplier up to \(maxNoiseMultiplier) reaches epsilon \(target) at delta \(delta); "
                + "raise epsilon or delta, or take fewer steps or a smaller sample rate"
        case let .invalidScores(what):
            return "\(what); give at least one finite score per group"
        case let .tooFewShadowModels(example, count, needed):
            return "example \(example) has \(count) OUT shadow confidence(s) and needs \(needed); "
                + (needed == 2 ? "train more shadow models or use the global variance" : "train more shadow models")
        case .noVarianceEstimate:
            return "no example has 2 or more OUT shadow confidences, so LiRA cannot estimate a variance; train at least 2 shadow models"
        }
    }
}
