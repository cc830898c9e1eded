import NN

/// MI-FGSM (Dong et al. 2018): sign steps along an accumulated, L1-normalised gradient with
/// decay 1.0, step eps / steps, from the clean image.
public struct MIFGSM: Attack {
    public static let name = "mifgsm"
    public static let summary = "Momentum iterative FGSM: sign steps along accumulated L1-normalised gradients (decay 1.0)."
    public static let norms: [Norm] = [.linf]
    public static let usesGradients = true
    public static let parameters: [ParameterSpec] = [
        IterativeParameters.steps,
        ParameterSpec("step_size", "eps/steps", "step size in pixel units"),
        ParameterSpec("momentum", "1.0", "decay of the accumulated gradient"),
        IterativeParameters.target,
    ]
    let engine: IterativeAttack

    public init(options: AttackOptions) throws {
        let steps = try positive(options.steps, "--steps", default: 10)
        let momentum = options.momentum ?? 1.0
        guard momentum >= 0, momentum.isFinite else { throw AttackError("--momentum must be >= 0 (got \(momentum))") }
        engine = IterativeAttack(name: Self.name, norm: try resolveNorm(options.norm, supported: Self.norms, attack: Self.name),
                                 steps: steps, stepSize: options.stepSize, stepFraction: 1 / Double(steps),
                                 restarts: 1, randomStart: false, momentum: momentum, target: options.target)
    }

    public func resolvedParameters(eps: Double) -> [String: String] { IterativeParameters.describe(engine, eps: eps) }

    public func perturb(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, context: AttackContext) -> Tensor {
        engine.run(classifier, x: x, labels: labels, targets: targets, context: context)
    }
}
