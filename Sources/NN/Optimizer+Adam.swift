#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Adam with L2 weight decay added to the gradient, exactly as `torch.optim.Adam` (amsgrad off).
///
/// For each parameter `p` with gradient `g`, at its step `t = 1, 2, ...`:
/// ```
/// g = g + weightDecay * p                      (unless noDecay(name, p))
/// m = β1 m + (1 - β1) g
/// v = β2 v + (1 - β2) g²
/// p = p - (lr / (1 - β1^t)) * m / (sqrt(v) / sqrt(1 - β2^t) + eps)
/// ```
/// `m` and `v` start at zero. As in PyTorch, `m` is updated as `m += (1 - β1)(g - m)` (its `lerp_`,
/// the same value up to rounding) and the bias corrections are computed in Double (Python floats). Because the decay goes through the adaptive denominator it is weaker for
/// parameters with large gradients: that is why AdamW exists.
public final class Adam: Optimizer {
    /// The shared moment estimates and update rule.
    let moments: AdamMoments
    /// L2 penalty λ added to the gradient as `λ p`.
    public let weightDecay: Float
    /// Parameters for which weight decay is skipped.
    public let noDecay: (String, Parameter) -> Bool

    /// An Adam optimiser; the defaults are PyTorch's (β1 0.9, β2 0.999, eps 1e-8, no decay).
    public init(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0,
                noDecay: @escaping (String, Parameter) -> Bool = NoDecay.none) {
        precondition(weightDecay >= 0, "Adam: weight decay \(weightDecay) must be >= 0")
        moments = AdamMoments(beta1: beta1, beta2: beta2, eps: eps)
        self.weightDecay = weightDecay
        self.noDecay = noDecay
    }

    public func step(_ parameters: [(name: String, parameter: Parameter)], learningRate: Float) {
        for (name, parameter) in parameters {
            moments.update(name: name, parameter: parameter, learningRate: learningRate,
                           l2: noDecay(name, parameter) ? 0 : weightDecay, decoupled: 0)
        }
    }
}

/// Adam with decoupled weight decay, exactly as `torch.optim.AdamW` (amsgrad off).
///
/// The decay shrinks the parameter directly, before and independently of the Adam update
/// (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"), at step `t = 1, 2, ...`:
/// ```
/// p = p * (1 - lr * weightDecay)               (unless noDecay(name, p))
/// m = β1 m + (1 - β1) g
/// v = β2 v + (1 - β2) g²
/// p = p - (lr / (1 - β1^t)) * m / (sqrt(v) / sqrt(1 - β2^t) + eps)
/// ```
/// PyTorch's default decay for AdamW is 0.01, kept here.
public final class AdamW: Optimizer {
    /// The shared moment estimates and update rule.
    let moments: AdamMoments
    /// Decoupled decay λ: each step multiplies `p` by `1 - lr λ`.
    public let weightDecay: Float
    /// Parameters for which weight decay is skipped.
    public let noDecay: (String, Parameter) -> Bool

    /// An AdamW optimiser; the defaults are PyTorch's (β1 0.9, β2 0.999, eps 1e-8, decay 0.01).
    public init(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0.01,
                noDecay: @escaping (String, Parameter) -> Bool = NoDecay.none) {
        precondition(weightDecay >= 0, "AdamW: weight decay \(weightDecay) must be >= 0")
        moments = AdamMoments(beta1: beta1, beta2: beta2, eps: eps)
        self.weightDecay = weightDecay
        self.noDecay = noDecay
    }

    public func step(_ parameters: [(name: String, parameter: Parameter)], learningRate: Float) {
        for (name, parameter) in parameters {
            moments.update(name: name, parameter: parameter, learningRate: learningRate,
                           l2: 0, decoupled: noDecay(name, parameter) ? 0 : weightDecay)
        }
    }
}

/// The first and second moment estimates of Adam and AdamW, per parameter name, and the update both share.
final class AdamMoments {
    let beta1: Float
    let beta2: Float
    let eps: Float
    /// Per parameter name: step count `t`, first moment `m`, second moment `v`.
    private(set) var state: [String: (step: Int, m: [Float], v: [Float])] = [:]

    init(beta1: Float, beta2: Float, eps: Float) {
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2) && eps >= 0,
                     "Adam: need 0 <= beta1, beta2 < 1 and eps >= 0, got \(beta1), \(beta2), \(eps)")
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
    }

    /// One step for one parameter: `l2` is added to the gradient as `l2 * p` (Adam), `decoupled`
    /// shrinks `p` by `1 - lr * decoupled` first (AdamW); then the bias-corrected Adam update.
    func update(name: String, parameter: Parameter, learningRate: Float, l2: Float, decoupled: Float) {
        var entry = state.removeValue(forKey: name)
            ?? (step: 0, m: [Float](repeating: 0, count: parameter.value.count), v: [Float](repeating: 0, count: parameter.value.count))
        entry.step += 1
        let biasCorrection1 = 1 - pow(Double(beta1), Double(entry.step))
        let biasCorrection2Sqrt = (1 - pow(Double(beta2), Double(entry.step))).squareRoot()
        let stepSize = Float(Double(learningRate) / biasCorrection1)
        let correction2Sqrt = Float(biasCorrection2Sqrt)
        let shrink = Float(1 - Double(learningRate) * Double(decoupled))
        let (b1, b2, eps) = (beta1, beta2, eps)
        entry.m.withUnsafeMutableBufferPointer { m in
        entry.v.withUnsafeMutableBufferPointer { v in
            parameter.updateInPlace { p, g, count in
                precondition(m.count == count, "Adam: moment of \(name) has \(m.count) elements, parameter \(count)")
                for i in 0..<count {
                    if decoupled != 0 { p[i] *= shrink }
                    let d = g[i] + l2 * p[i]
                    m[i] += (1 - b1) * (d - m[i])
                    v[i] = b2 * v[i] + (1 - b2) * d * d
                    let denom = v[i].squareRoot() / correction2Sqrt + eps
                    p[i] -= stepSize * (m[i] / denom)
                }
            }
        }}
        state[name] = entry
    }
}
