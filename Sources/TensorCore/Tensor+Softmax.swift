#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Row-wise softmax arithmetic on logits `[N, K]`, in Double: the one home for log-sum-exp,
/// softmax, cross-entropy and arg-max that layers, training, attacks' objectives and defences share.
extension Tensor {
    /// Row `i`'s logits widened to Double.
    public func logitRow(_ i: Int) -> [Double] {
        let k = dim(1)
        return (0..<k).map { Double(storage[i * k + $0]) }
    }
}

/// `log sum_j exp(z_j)`, stable: the maximum is subtracted before `exp`, so large logits never
/// overflow; the sum runs left to right (every caller's bits depend on that order).
public func logSumExp(_ z: [Double]) -> Double {
    let zMax = z.max()!
    var sumExp = 0.0
    for v in z { sumExp += exp(v - zMax) }
    return zMax + log(sumExp)
}

/// Softmax of one row, `exp(z_j - logSumExp(z))`.
public func softmax(_ z: [Double]) -> [Double] {
    let lse = logSumExp(z)
    return z.map { exp($0 - lse) }
}

/// Softmax cross-entropy, mean over the batch, and its gradient: `loss = mean_i(logsumexp(z_i) - z_i[y_i])`,
/// `dLogits = (softmax(z) - onehot(y)) / N`. Both, because every caller (training, the loss of a
/// defence) needs both and the softmax is shared.
/// logits: `[N, K]`, labels: N class indices in `0..<K` -> (scalar loss, dLogits `[N, K]`).
public func crossEntropy(logits: Tensor, labels: [Int]) -> (loss: Float, dLogits: Tensor) {
    precondition(logits.rank == 2 && logits.shape[0] == labels.count,
                 "crossEntropy: expected logits [N, K] with N = \(labels.count) labels, got shape \(logits.shape)")
    let n = logits.shape[0], k = logits.shape[1]
    var dLogits = Tensor(shape: logits.shape)
    var total = 0.0
    for i in 0..<n {
        let label = labels[i]
        precondition(label >= 0 && label < k, "crossEntropy: label \(label) of sample \(i) outside 0..<\(k) for logits \(logits.shape)")
        let z = logits.logitRow(i)
        let lse = logSumExp(z)
        total += lse - z[label]
        for j in 0..<k { dLogits.storage[i * k + j] = Float((exp(z[j] - lse) - (j == label ? 1 : 0)) / Double(n)) }
    }
    return (Float(total / Double(max(1, n))), dLogits)
}

/// The index of the largest logit of row `i` (first on ties, as `torch.argmax`).
public func argmax(_ logits: Tensor, row i: Int) -> Int {
    let k = logits.dim(1)
    var best = 0
    for j in 1..<k where logits.storage[i * k + j] > logits.storage[i * k + best] { best = j }
    return best
}

/// Row `i`'s arg-max and its softmax probability, `1 / sum_j exp(z_j - z_max)` (the top class's
/// softmax without a log, so a confident prediction reads 1 exactly where the sum is 1).
public func argmaxAndProbability(_ logits: Tensor, row i: Int) -> (Int, Double) {
    let k = logits.dim(1)
    let best = argmax(logits, row: i)
    let m = Double(logits.storage[i * k + best])
    let total = logits.storage[i * k..<(i + 1) * k].reduce(0.0) { $0 + exp(Double($1) - m) }
    return (best, 1 / total)
}
