import NN

/// BIM (Kurakin et al. 2017): iterative FGSM from the clean image, no random start, step 2.5 * eps / steps.
public struct BIM: Attack {
    public static let name = "bim"
    public static let summary = "Basic iterative method: iterated FGSM steps from the clean image, no random start."
    public static let norms: [Norm] = [.linf, .l2]
    public static let usesGradients = true
    public static let parameters: [ParameterSpec] = [
        IterativeParameters.steps,
        ParameterSpec("step_size", "2.5*eps/steps", "step size in pixel units"),
        IterativeParameters.target,
    ]
    let engine: IterativeAttack

    public init(options: AttackOptions) throws {
        let steps = try positive(options.steps, "--steps", default: 10)
        engine = IterativeAttack(name: Self.name, norm: try resolveNorm(options.norm, supported: Self.norms, attack: Self.name),
                                 steps: steps, stepSize: options.stepSize, stepFraction: 2.5 / Double(steps),
                                 restarts: 1, randomStart: false, momentum: nil, target: options.target)
    }

    public func resolvedParameters(eps: Double) -> [String: String] { IterativeParameters.describe(engine, eps: eps) }

    public func perturb(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, context: AttackContext) -> Tensor {
        engine.run(classifier, x: x, labels: labels, targets: targets, context: context)
    }
}
