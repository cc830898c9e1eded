#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NN

/// The losses attacks maximise, each per sample, computed in Double for stability.
public enum Objective: String, Sendable, CaseIterable {
    /// Cross-entropy of the true label: logsumexp(z) - z_y.
    case crossEntropy = "ce"
    /// Negative cross-entropy of the target (maximising it pulls the prediction to the target).
    case targetedCrossEntropy = "ce-targeted"
    /// Difference of logits ratio (Croce & Hein 2020): -(z_y - max_{i!=y} z_i) / (z_pi1 - z_pi3 + 1e-12),
    /// with z_pi the logits sorted descending. Scale-invariant, so a huge logit temperature cannot hide the gradient.
    case dlr
    /// Targeted DLR: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12).
    case targetedDLR = "dlr-targeted"
    /// Negative margin, -(z_y - max_{i!=y} z_i): positive once the sample is misclassified (Square's score).
    case margin

    /// Values and dValue/dLogits for logits [N, K]; `targets` are needed by the targeted objectives.
    public func evaluate(logits: Tensor, labels: [Int], targets: [Int]?) -> ObjectiveValue {
        let n = logits.dim(0), k = logits.dim(1)
        var values = [Float](repeating: 0, count: n)
        var dLogits = Tensor(shape: [n, k])
        for i in 0..<n {
            let z = logits.logitRow(i)
            var g = [Double](repeating: 0, count: k)
            let y = labels[i]
            let value: Double
            switch self {
            case .crossEntropy, .targetedCrossEntropy:
                let lse = logSumExp(z)
                let c = self == .crossEntropy ? y : targets![i]
                for j in 0..<k { g[j] = exp(z[j] - lse) }
                g[c] -= 1
                value = lse - z[c]
                if self == .targetedCrossEntropy { for j in 0..<k { g[j] = -g[j] } }
                values[i] = Float(self == .crossEntropy ? value : -value)
            case .dlr, .margin:
                let other = (0..<k).filter { $0 != y }.max { z[$0] < z[$1] }!
                let num = z[y] - z[other]
                if self == .margin {
                    value = -num
                    g[y] = -1
                    g[other] = 1
                } else {
                    let order = sortedDescending(z)
                    let d = z[order[0]] - z[order[min(2, k - 1)]] + 1e-12
                    value = -num / d
                    g[y] -= 1 / d
                    g[other] += 1 / d
                    g[order[0]] += num / (d * d)
                    g[order[min(2, k - 1)]] -= num / (d * d)
                }
                values[i] = Float(value)
            case .targetedDLR:
                let t = targets![i]
                let order = sortedDescending(z)
                let p3 = order[min(2, k - 1)], p4 = order[min(3, k - 1)]
                let d = z[order[0]] - (z[p3] + z[p4]) / 2 + 1e-12
                let num = z[y] - z[t]
                value = -num / d
                g[y] -= 1 / d
                g[t] += 1 / d
                g[order[0]] += num / (d * d)
                g[p3] -= num / (2 * d * d)
                g[p4] -= num / (2 * d * d)
                values[i] = Float(value)
            }
            for j in 0..<k { dLogits.storage[i * k + j] = Float(g[j]) }
        }
        return ObjectiveValue(values: values, dLogits: dLogits)
    }
}

/// Indices of `z` sorted by value, largest first (ties by index, so the order is deterministic).
func sortedDescending(_ z: [Double]) -> [Int] {
    z.indices.sorted { z[$0] != z[$1] ? z[$0] > z[$1] : $0 < $1 }
}
