import NN

/// The threat model's norm: how far an adversarial example may move from its clean image.
public enum Norm: String, Sendable, CaseIterable, Codable {
    case linf, l2

    /// Moves `adv` into the epsilon-ball around `clean` and then into the box [0, 1], in place.
    ///
    /// Box clipping after the projection never leaves the ball: with `clean` in [0, 1`], clipping
    /// only shrinks each |delta_i|. L2 scales delta by min(1, eps / ||delta||) (computed in Double).
    public func project(_ adv: inout ArraySlice<Float>, clean: ArraySlice<Float>, eps: Float) {
        precondition(adv.count == clean.count)
        let a0 = adv.startIndex, c0 = clean.startIndex
        switch self {
        case .linf:
            for j in 0..<adv.count {
                let x = clean[c0 + j]
                adv[a0 + j] = min(max(min(max(adv[a0 + j], x - eps), x + eps), 0), 1)
            }
        case .l2:
            var sum = 0.0
            for j in 0..<adv.count {
                let d = Double(adv[a0 + j] - clean[c0 + j])
                sum += d * d
            }
            let length = sum.squareRoot()
            let scale = length > Double(eps) ? Double(eps) / length : 1
            for j in 0..<adv.count {
                let x = clean[c0 + j]
                let d = Float(Double(adv[a0 + j] - x) * scale)
                adv[a0 + j] = min(max(x + d, 0), 1)
            }
        }
    }

    /// A steepest-ascent direction of unit size in this norm: sign(g) for L-inf, g / ||g||_2 for L2.
    public func steepestDirection(_ g: ArraySlice<Float>) -> [Float] {
        switch self {
        case .linf:
            return g.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        case .l2:
            let length = g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let scale = Float(1 / (length + 1e-12))
            return g.map { $0 * scale }
        }
    }

    /// A random point uniformly distributed in the epsilon-ball: the box [-eps, eps]^d for L-inf,
    /// the L2 ball (Gaussian direction, radius eps * u^(1/d)) for L2.
    public func uniformInBall(count d: Int, eps: Float, rng: inout SplitMix64) -> [Float] {
        switch self {
        case .linf:
            return (0..<d).map { _ in (2 * rng.nextFloat() - 1) * eps }
        case .l2:
            let direction = (0..<d).map { _ in rng.nextGaussian() }
            let length = direction.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let radius = Double(eps) * pow(Double(rng.nextFloat()), 1 / Double(d))
            return direction.map { Float(Double($0) * radius / max(length, 1e-12)) }
        }
    }
}

/// The L-inf and L2 sizes of `adv - clean`, in Double.
public func perturbationNorms(_ adv: ArraySlice<Float>, _ clean: ArraySlice<Float>) -> (linf: Double, l2: Double) {
    var linf = 0.0, sum = 0.0
    for (a, c) in zip(adv, clean) {
        let d = Double(a) - Double(c)
        linf = max(linf, abs(d))
        sum += d * d
    }
    return (linf, sum.squareRoot())
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
