import Attacks
import NN

/// A `Classifier` decorator that watches what the attacks see, for the validity checks:
/// non-finite logits or gradients, and samples whose input gradient is exactly zero
/// (the signature of gradient masking: a step function or a saturated softmax).
final class MonitoredClassifier: Classifier {
    let inner: any Classifier
    private(set) var gradientSamples = 0
    private(set) var zeroGradientSamples = 0
    private(set) var nonFiniteLogits = 0
    private(set) var nonFiniteGradients = 0

    init(_ inner: any Classifier) { self.inner = inner }

    var classes: Int { inner.classes }
    var queries: Int { inner.queries }

    func logits(_ x: Tensor) -> Tensor {
        let z = inner.logits(x)
        nonFiniteLogits += countNonFinite(z)
        return z
    }

    func valueAndGradient(_ x: Tensor, objective: (Tensor) -> ObjectiveValue) -> (logits: Tensor, values: [Float], gradient: Tensor) {
        let result = inner.valueAndGradient(x, objective: objective)
        nonFiniteLogits += countNonFinite(result.logits)
        let n = x.dim(0), d = n == 0 ? 0 : result.gradient.count / n
        for i in 0..<n {
            var allZero = true
            for j in 0..<d {
                let g = result.gradient.storage[i * d + j]
                if !g.isFinite { nonFiniteGradients += 1 }
                if g != 0 { allZero = false }
            }
            if allZero { zeroGradientSamples += 1 }
        }
        gradientSamples += n
        return result
    }

    /// Adds counts a resumed run read back from its journal (work it does not redo).
    func replay(gradientSamples g: Int, zeroGradientSamples z: Int, nonFiniteLogits l: Int, nonFiniteGradients n: Int) {
        gradientSamples += g
        zeroGradientSamples += z
        nonFiniteLogits += l
        nonFiniteGradients += n
    }

    private func countNonFinite(_ t: Tensor) -> Int {
        t.storage.reduce(0) { $1.isFinite ? $0 : $0 + 1 }
    }
}
