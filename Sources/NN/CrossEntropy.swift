#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax cross-entropy, mean over the batch, and its gradient: `loss = mean_i(logsumexp(z_i) - z_i[y_i])`.
///
/// Stable log-sum-exp (the row maximum is subtracted before `exp`), so large logits never overflow.
/// Returns the gradient too, `dLogits = (softmax(z) - onehot(y)) / N`, because every caller
/// (training, gradient attacks) needs both and the softmax is shared.
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
        let row = logits.storage[i * k..<(i + 1) * k]
        let zMax = Double(row.max()!)
        var sumExp = 0.0
        for z in row { sumExp += exp(Double(z) - zMax) }
        let logSumExp = zMax + log(sumExp)
        total += logSumExp - Double(logits.storage[i * k + label])
        for j in 0..<k {
            let p = exp(Double(logits.storage[i * k + j]) - logSumExp)
            dLogits.storage[i * k + j] = Float((p - (j == label ? 1 : 0)) / Double(n))
        }
    }
    return (Float(total / Double(max(1, n))), dLogits)
}
