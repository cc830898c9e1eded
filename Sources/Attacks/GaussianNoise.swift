import NN

/// Gaussian noise projected onto the epsilon-ball (a baseline, not an attack): sigma = eps per
/// pixel for L-inf, eps / sqrt(d) for L2 (so the noise's length is about eps).
public struct GaussianNoise: Attack {
    public static let name = "noise-gaussian"
    public static let summary = "Baseline: the worst of N Gaussian noise draws, projected onto the eps-ball."
    public static let norms: [Norm] = [.linf, .l2]
    public static let usesGradients = false
    public static let parameters = [ParameterSpec("draws", "10", "random draws per sample; the worst is kept")]
    let baseline: NoiseBaseline

    public init(options: AttackOptions) throws {
        guard options.target == .none else { throw AttackError("'\(Self.name)' is a baseline and cannot be targeted; drop --target") }
        baseline = NoiseBaseline(name: Self.name, norm: try resolveNorm(options.norm, supported: Self.norms, attack: Self.name),
                                 draws: try positive(options.draws, "--draws", default: 10), gaussian: true)
    }

    public func resolvedParameters(eps: Double) -> [String: String] {
        ["norm": baseline.norm.rawValue, "draws": "\(baseline.draws)", "sigma": baseline.norm == .linf ? "eps" : "eps/sqrt(d)"]
    }

    public func perturb(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, context: AttackContext) -> Tensor {
        baseline.run(classifier, x: x, labels: labels, context: context)
    }
}
