import NN

/// Shared parameter texts of the iterative gradient attacks.
enum IterativeParameters {
    static let steps = ParameterSpec("steps", "10", "gradient steps")
    static let target = ParameterSpec("target", "none", "none, random, least-likely or a class index")

    static func describe(_ engine: IterativeAttack, eps: Double) -> [String: String] {
        var out = ["norm": engine.norm.rawValue, "steps": "\(engine.steps)", "step_size": "\(engine.step(eps: eps))",
                   "restarts": "\(engine.restarts)", "random_start": "\(engine.randomStart)", "target": "\(engine.target)"]
        if let momentum = engine.momentum { out["momentum"] = "\(momentum)" }
        return out
    }
}

/// PGD (Madry et al. 2018) in L-inf or L2: a random start in the ball, `steps` projected
/// steepest-ascent steps of size 2.5 * eps / steps, `restarts` restarts keeping each sample's
/// worst case, and the best iterate rather than the last.
public struct PGD: Attack {
    public static let name = "pgd"
    public static let summary = "Projected gradient descent with random start and restarts (L-inf or L2)."
    public static let norms: [Norm] = [.linf, .l2]
    public static let usesGradients = true
    public static let parameters: [ParameterSpec] = [
        IterativeParameters.steps,
        ParameterSpec("step_size", "2.5*eps/steps", "step size in pixel units"),
        ParameterSpec("restarts", "1", "random restarts; each sample keeps its worst case"),
        ParameterSpec("random_start", "true", "start uniformly in the eps-ball"),
        IterativeParameters.target,
    ]
    let engine: IterativeAttack

    public init(options: AttackOptions) throws {
        let steps = try positive(options.steps, "--steps", default: 10)
        engine = IterativeAttack(name: Self.name, norm: try resolveNorm(options.norm, supported: Self.norms, attack: Self.name),
                                 steps: steps, stepSize: options.stepSize, stepFraction: 2.5 / Double(steps),
                                 restarts: try positive(options.restarts, "--restarts", default: 1),
                                 randomStart: options.randomStart ?? true, momentum: nil, target: options.target)
    }

    public func resolvedParameters(eps: Double) -> [String: String] { IterativeParameters.describe(engine, eps: eps) }

    public func perturb(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, context: AttackContext) -> Tensor {
        engine.run(classifier, x: x, labels: labels, targets: targets, context: context)
    }
}
