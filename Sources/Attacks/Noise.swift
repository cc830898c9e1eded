import NN

/// Random-noise baselines: the worst of `draws` random perturbations in the epsilon-ball.
/// A model that loses accuracy to noise as fast as to an attack is not being attacked well,
/// or is not robust at all; a baseline makes either visible.
struct NoiseBaseline {
    var name: String
    var norm: Norm
    var draws: Int
    var gaussian: Bool

    func run(_ classifier: any Classifier, x: Tensor, labels: [Int], context: AttackContext) -> Tensor {
        let n = x.dim(0), d = x.sampleSize, eps = context.eps
        guard eps > 0 else { return x }
        var best = x
        var bestValue = [Float](repeating: -.infinity, count: n)
        var fooled = [Bool](repeating: false, count: n)
        for draw in 0..<draws {
            let active = (0..<n).filter { !fooled[$0] }
            if active.isEmpty { break }
            var candidate = x.gathering(active)
            for (row, i) in active.enumerated() {
                var rng = context.rng(sample: i, attack: name, restart: draw)
                let noise: [Float]
                if gaussian {
                    // sigma = eps per coordinate for L-inf (then clipped to the ball); eps / sqrt(d) for L2, so ||noise|| ~ eps.
                    let sigma = norm == .linf ? eps : eps / Float(d).squareRoot()
                    noise = (0..<d).map { _ in sigma * rng.nextGaussian() }
                } else {
                    noise = norm.uniformInBall(count: d, eps: eps, rng: &rng)
                }
                var point = zip(x.row(i), noise).map { $0 + $1 }[...]
                norm.project(&point, clean: x.row(i), eps: eps)
                candidate.setRow(row, point)
            }
            let rowLabels = active.map { labels[$0] }
            let logits = classifier.logits(candidate)
            let values = Objective.crossEntropy.evaluate(logits: logits, labels: rowLabels, targets: nil).values
            for (row, i) in active.enumerated() {
                if argmax(logits, row: row) != labels[i] {
                    fooled[i] = true
                    best.setRow(i, candidate.row(row))
                } else if values[row] > bestValue[i] {
                    bestValue[i] = values[row]
                    best.setRow(i, candidate.row(row))
                }
            }
        }
        return best
    }
}

/// Uniform noise in the epsilon-ball (a baseline, not an attack).
public struct UniformNoise: Attack {
    public static let name = "noise-uniform"
    public static let summary = "Baseline: the worst of N uniform random points in the eps-ball."
    public static let norms: [Norm] = [.linf, .l2]
    public static let usesGradients = false
    public static let parameters = [ParameterSpec("draws", "10", "random draws per sample; the worst is kept")]
    let baseline: NoiseBaseline

    public init(options: AttackOptions) throws {
        guard options.target == .none else { throw AttackError("'\(Self.name)' is a baseline and cannot be targeted; drop --target") }
        baseline = NoiseBaseline(name: Self.name, norm: try resolveNorm(options.norm, supported: Self.norms, attack: Self.name),
                                 draws: try positive(options.draws, "--draws", default: 10), gaussian: false)
    }

    public func resolvedParameters(eps: Double) -> [String: String] { ["norm": baseline.norm.rawValue, "draws": "\(baseline.draws)"] }

    public func perturb(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, context: AttackContext) -> Tensor {
        baseline.run(classifier, x: x, labels: labels, context: context)
    }
}
