#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The loss-threshold attack's scores (Yeom et al. 2018): −loss, since training examples tend to have lower loss.
public func lossAttackScores(losses: [Double]) -> [Double] {
    losses.map { -$0 }
}

/// LiRA's logit-scaled confidence φ = log(p_y / (1 − p_y)) of the true class y, computed from the logits as
/// z_y − log Σ_{j≠y} e^{z_j}, which stays exact where p_y rounds to 1 (softmax first would give +∞).
public func logitScaledConfidence(logits: [Double], label: Int) -> Double {
    precondition(logits.count >= 2 && logits.indices.contains(label), "need two or more logits and a label among them")
    let others = logits.indices.filter { $0 != label }.map { logits[$0] }
    let top = others.max()!
    let logSumExp = top + log(others.reduce(0) { $0 + exp($1 - top) })
    return logits[label] - logSumExp
}
