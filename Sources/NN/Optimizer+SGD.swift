/// Stochastic gradient descent with momentum, Nesterov and L2 weight decay, exactly as `torch.optim.SGD`.
///
/// For each parameter `p` with gradient `g`, at its step `t = 1, 2, ...` (dampening is 0):
/// ```
/// g = g + weightDecay * p                      (unless noDecay(name, p))
/// if momentum != 0:
///     b = (t == 1) ? g : momentum * b + g      (the momentum buffer, kept per parameter name)
///     g = nesterov ? g + momentum * b : b
/// p = p - lr * g
/// ```
/// Weight decay is added to the gradient (L2 regularisation), so it goes through momentum like
/// the loss gradient does, as in PyTorch.
public final class SGD: Optimizer {
    /// Momentum factor μ (0 for plain SGD).
    public let momentum: Float
    /// Nesterov momentum (requires `momentum > 0`, as in PyTorch).
    public let nesterov: Bool
    /// L2 penalty λ added to the gradient as `λ p`.
    public let weightDecay: Float
    /// Parameters for which weight decay is skipped.
    public let noDecay: (String, Parameter) -> Bool
    /// Momentum buffers by parameter name; absent until a parameter's first step.
    public private(set) var momentumBuffers: [String: [Float]] = [:]

    /// An SGD optimiser; the defaults are PyTorch's (no momentum, no decay, every parameter decayed).
    public init(momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0,
                noDecay: @escaping (String, Parameter) -> Bool = NoDecay.none) {
        precondition(momentum >= 0 && weightDecay >= 0, "SGD: momentum \(momentum) and weight decay \(weightDecay) must be >= 0")
        precondition(!nesterov || momentum > 0, "SGD: Nesterov momentum requires momentum > 0")
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.noDecay = noDecay
    }

    public func step(_ parameters: [(name: String, parameter: Parameter)], learningRate: Float) {
        for (name, parameter) in parameters {
            let decay = noDecay(name, parameter) ? 0 : weightDecay
            guard momentum != 0 else {
                parameter.updateInPlace { p, g, count in
                    for i in 0..<count { p[i] -= learningRate * (g[i] + decay * p[i]) }
                }
                continue
            }
            let first = momentumBuffers[name] == nil
            var buffer = momentumBuffers.removeValue(forKey: name) ?? [Float](repeating: 0, count: parameter.value.count)
            buffer.withUnsafeMutableBufferPointer { b in
                parameter.updateInPlace { p, g, count in
                    precondition(b.count == count, "SGD: momentum buffer of \(name) has \(b.count) elements, parameter \(count)")
                    for i in 0..<count {
                        let d = g[i] + decay * p[i]
                        b[i] = first ? d : momentum * b[i] + d
                        p[i] -= learningRate * (nesterov ? d + momentum * b[i] : b[i])
                    }
                }
            }
            momentumBuffers[name] = buffer
        }
    }
}
