import NN

/// Targeted APGD on the targeted DLR loss, trying in turn the 2nd, 3rd... most likely clean
/// classes as targets (AutoAttack's second attack). A sample counts as fooled when it is
/// misclassified, whichever class it lands in.
public struct APGDT: Attack {
    public static let name = "apgd-t"
    public static let summary = "Targeted Auto-PGD on the targeted DLR loss over the top target classes (AutoAttack)."
    public static let norms: [Norm] = [.linf, .l2]
    public static let usesGradients = true
    public static let parameters = APGDParameters.common + [ParameterSpec("target_classes", "9", "most likely wrong classes tried as targets")]
    let engine: APGDEngine

    public init(options: AttackOptions) throws {
        engine = try APGDParameters.engine(Self.name, options: options, objective: .targetedDLR,
                                           targetClasses: try positive(options.targetClasses, "--target-classes", default: 9))
    }

    public func resolvedParameters(eps: Double) -> [String: String] { APGDParameters.describe(engine) }

    public func perturb(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, context: AttackContext) -> Tensor {
        engine.run(classifier, x: x, labels: labels, context: context)
    }
}
