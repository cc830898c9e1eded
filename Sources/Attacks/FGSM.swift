import NN

/// FGSM (Goodfellow et al. 2015): x + eps * sign(grad of the cross-entropy), clipped to [0, 1].
public struct FGSM: Attack {
    public static let name = "fgsm"
    public static let summary = "Fast gradient sign method: one L-inf step of size eps along sign(gradient)."
    public static let norms: [Norm] = [.linf]
    public static let usesGradients = true
    public static let parameters: [ParameterSpec] = [ParameterSpec("target", "none", "none, random, least-likely or a class index")]
    let target: TargetMode

    public init(options: AttackOptions) throws {
        _ = try resolveNorm(options.norm, supported: Self.norms, attack: Self.name)
        target = options.target
    }

    public func resolvedParameters(eps: Double) -> [String: String] { ["target": "\(target)"] }

    public func perturb(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, context: AttackContext) -> Tensor {
        singleStep(classifier, x: x, labels: labels, targets: targets, eps: context.eps, norm: .linf)
    }
}
