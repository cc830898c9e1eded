/// Scales all gradients together so their global L2 norm is at most `maxNorm`, as `torch.nn.utils.clip_grad_norm_`.
///
/// ```
/// total = sqrt(sum over parameters, sum over elements, of grad²)
/// coef  = min(1, maxNorm / (total + 1e-6))
/// grad  = grad * coef                      (for every parameter)
/// ```
/// One norm over all parameters (not one per parameter) keeps the update's direction and only
/// shortens it. The sum runs in Double in parameter order, so it is deterministic. Returns the
/// norm before clipping, the number worth logging to spot exploding gradients.
@discardableResult
public func clipGradNorm(_ parameters: [(name: String, parameter: Parameter)], maxNorm: Float) -> Float {
    precondition(maxNorm > 0, "clipGradNorm: maxNorm must be positive, got \(maxNorm)")
    var sumSquares = 0.0
    for entry in parameters {
        for g in entry.parameter.grad.storage { sumSquares += Double(g) * Double(g) }
    }
    let total = sumSquares.squareRoot()
    let coef = Float(Double(maxNorm) / (total + 1e-6))
    if coef < 1 {
        for entry in parameters {
            let count = entry.parameter.grad.count
            entry.parameter.grad.withUnsafeMutablePointer { g in
                for i in 0..<count { g[i] *= coef }
            }
        }
    }
    return Float(total)
}

/// Clamps every gradient element into `[-clipValue, clipValue]`, as `torch.nn.utils.clip_grad_value_`.
///
/// Element-wise, so it changes the update's direction; prefer `clipGradNorm` unless a recipe asks for this.
public func clipGradValue(_ parameters: [(name: String, parameter: Parameter)], clipValue: Float) {
    precondition(clipValue > 0, "clipGradValue: clipValue must be positive, got \(clipValue)")
    for entry in parameters {
        let count = entry.parameter.grad.count
        entry.parameter.grad.withUnsafeMutablePointer { g in
            for i in 0..<count { g[i] = min(max(g[i], -clipValue), clipValue) }
        }
    }
}
