import NN

/// Square Attack, L-inf (Andriushchenko et al. 2020): a score-based black-box attack that only
/// reads logits. It starts from vertical stripes of +-eps, then tries random squares of +-2*eps
/// per channel, keeping a change only when it lowers the margin z_y - max_{i!=y} z_i; a sample
/// stops once its margin is negative (fooled) or its query budget is spent.
///
/// The square's side covers a fraction p of the pixels, p_init halved at iterations 10, 50, 200,
/// 500, 1000, 2000, 4000, 6000 and 8000 of a 10,000-query schedule rescaled to the budget (as in
/// AutoAttack). Unlike AutoAttack, each sample draws its own square position, from its own stream.
public struct Square: Attack {
    public static let name = "square"
    public static let summary = "Square attack: score-based black-box random search (L-inf), margin loss, counts queries."
    public static let norms: [Norm] = [.linf]
    public static let usesGradients = false
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("queries", "5000", "query budget per sample"),
        ParameterSpec("p_init", "0.8", "initial fraction of pixels changed by a square"),
    ]
    let queries: Int
    let pInit: Double

    public init(options: AttackOptions) throws {
        _ = try resolveNorm(options.norm, supported: Self.norms, attack: Self.name)
        guard options.target == .none else { throw AttackError("attack 'square' is untargeted here; drop --target") }
        queries = try positive(options.queries, "--queries", default: 5000)
        pInit = options.pInit ?? 0.8
        guard pInit > 0, pInit <= 1 else { throw AttackError("--p-init must be in (0, 1] (got \(pInit))") }
    }

    public func resolvedParameters(eps: Double) -> [String: String] {
        ["norm": "linf", "queries": "\(queries)", "p_init": "\(pInit)", "loss": "margin"]
    }

    /// The fraction of pixels a square covers at iteration `it` of `budget`.
    public static func fraction(pInit: Double, iteration it: Int, budget: Int) -> Double {
        let rescaled = Int(Double(it) / Double(budget) * 10_000)
        let halvings = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000].filter { rescaled > $0 }.count
        return pInit / Double(1 << halvings)
    }

    public func perturb(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, context: AttackContext) -> Tensor {
        let n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), d = x.sampleSize, eps = context.eps
        guard eps > 0 else { return x }
        var rngs = (0..<n).map { context.rng(sample: $0, attack: Self.name) }
        // Vertical stripes: each (channel, column) moves by +-eps.
        var best = x
        for i in 0..<n {
            for ch in 0..<c {
                for col in 0..<w {
                    let sign: Float = rngs[i].nextInt(2) == 0 ? -1 : 1
                    for row in 0..<h {
                        let j = i * d + (ch * h + row) * w + col
                        best.storage[j] = min(max(x.storage[j] + sign * eps, 0), 1)
                    }
                }
            }
        }
        var margin = self.margins(classifier.logits(best), labels: labels)
        var active = (0..<n).filter { margin[$0] > 0 }
        var iteration = 1
        while !active.isEmpty && iteration < queries {
            let p = Self.fraction(pInit: pInit, iteration: iteration, budget: queries)
            let side = min(max(Int((p * Double(d) / Double(c)).squareRoot().rounded()), 1), h - 1)
            var candidate = best.gathering(active)
            for (row, i) in active.enumerated() {
                let top = rngs[i].nextInt(h - side + 1), left = rngs[i].nextInt(w - side + 1)
                // Draw per-channel signs until the square actually changes the image (as AutoAttack does).
                for _ in 0..<10 {
                    var changed = false
                    let signs = (0..<c).map { _ in Float(rngs[i].nextInt(2) == 0 ? -2 : 2) * eps }
                    for ch in 0..<c {
                        for r in top..<(top + side) {
                            for col in left..<(left + side) {
                                let offset = (ch * h + r) * w + col
                                let clean = x.storage[i * d + offset]
                                let value = min(max(min(max(best.storage[i * d + offset] + signs[ch], clean - eps), clean + eps), 0), 1)
                                if value != best.storage[i * d + offset] { changed = true }
                                candidate.storage[row * d + offset] = value
                            }
                        }
                    }
                    if changed { break }
                }
            }
            let newMargin = margins(classifier.logits(candidate), labels: active.map { labels[$0] })
            for (row, i) in active.enumerated() where newMargin[row] < margin[i] {
                margin[i] = newMargin[row]
                best.setRow(i, candidate.row(row))
            }
            active = active.filter { margin[$0] > 0 }
            iteration += 1
        }
        return best
    }

    /// z_y - max_{i!=y} z_i per row: negative once the sample is misclassified.
    private func margins(_ logits: Tensor, labels: [Int]) -> [Float] {
        Objective.margin.evaluate(logits: logits, labels: labels, targets: nil).values.map { -$0 }
    }
}
