import NN

/// FGM (fast gradient method, L2): x + eps * g / ||g||_2, clipped to [0, 1].
public struct FGM: Attack {
    public static let name = "fgm"
    public static let summary = "Fast gradient method: one L2 step of length eps along the gradient."
    public static let norms: [Norm] = [.l2]
    public static let usesGradients = true
    public static let parameters: [ParameterSpec] = [ParameterSpec("target", "none", "none, random, least-likely or a class index")]
    let target: TargetMode

    public init(options: AttackOptions) throws {
        _ = try resolveNorm(options.norm, supported: Self.norms, attack: Self.name)
        target = options.target
    }

    public func resolvedParameters(eps: Double) -> [String: String] { ["target": "\(target)"] }

    public func perturb(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, context: AttackContext) -> Tensor {
        singleStep(classifier, x: x, labels: labels, targets: targets, eps: context.eps, norm: .l2)
    }
}
