import NN

/// APGD with the difference-of-logits-ratio loss, which is invariant to the logits' scale and
/// so not fooled by a model that saturates its softmax.
public struct APGDDLR: Attack {
    public static let name = "apgd-dlr"
    public static let summary = "Auto-PGD on the scale-invariant DLR loss (robust to saturated softmax)."
    public static let norms: [Norm] = [.linf, .l2]
    public static let usesGradients = true
    public static let parameters = APGDParameters.common
    let engine: APGDEngine

    public init(options: AttackOptions) throws {
        engine = try APGDParameters.engine(Self.name, options: options, objective: .dlr, targetClasses: 0)
    }

    public func resolvedParameters(eps: Double) -> [String: String] { APGDParameters.describe(engine) }

    public func perturb(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, context: AttackContext) -> Tensor {
        engine.run(classifier, x: x, labels: labels, context: context)
    }
}
