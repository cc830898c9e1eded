import NN

/// Shared parameter texts and construction of the three APGD variants.
enum APGDParameters {
    static let common: [ParameterSpec] = [
        ParameterSpec("steps", "100", "iterations per restart"),
        ParameterSpec("restarts", "1", "restarts from new random points; each sample keeps its worst case"),
    ]

    static func engine(_ name: String, options: AttackOptions, objective: Objective, targetClasses: Int) throws -> APGDEngine {
        guard options.target == .none else {
            throw AttackError("attack '\(name)' has its own targeting; drop --target (apgd-t tries the most likely wrong classes)")
        }
        if options.stepSize != nil { throw AttackError("attack '\(name)' adapts its step size (starting at 2*eps); drop --step-size") }
        return APGDEngine(name: name, norm: try resolveNorm(options.norm, supported: [.linf, .l2], attack: name),
                          iterations: try positive(options.steps, "--steps", default: 100),
                          restarts: try positive(options.restarts, "--restarts", default: 1),
                          objective: objective, targetClasses: targetClasses)
    }

    static func describe(_ e: APGDEngine) -> [String: String] {
        var out = ["norm": e.norm.rawValue, "steps": "\(e.iterations)", "restarts": "\(e.restarts)", "loss": e.objective.rawValue,
                   "rho": "\(e.rho)", "initial_step": "2*eps", "momentum": "0.75"]
        if e.targetClasses > 0 { out["target_classes"] = "\(e.targetClasses)" }
        return out
    }
}

/// APGD with the cross-entropy loss (AutoAttack's first attack).
public struct APGDCE: Attack {
    public static let name = "apgd-ce"
    public static let summary = "Auto-PGD on the cross-entropy: adaptive step size, momentum 0.75 (AutoAttack)."
    public static let norms: [Norm] = [.linf, .l2]
    public static let usesGradients = true
    public static let parameters = APGDParameters.common
    let engine: APGDEngine

    public init(options: AttackOptions) throws {
        engine = try APGDParameters.engine(Self.name, options: options, objective: .crossEntropy, targetClasses: 0)
    }

    public func resolvedParameters(eps: Double) -> [String: String] { APGDParameters.describe(engine) }

    public func perturb(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, context: AttackContext) -> Tensor {
        engine.run(classifier, x: x, labels: labels, context: context)
    }
}
