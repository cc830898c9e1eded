/// Updates parameters in place from their accumulated gradients, as a `torch.optim` optimiser.
///
/// The learning rate is passed to every `step` rather than stored, so a schedule stays a pure
/// function of (epoch, step) and the optimiser holds only its own state (momentum buffers, moment
/// estimates, step counts), keyed by the parameter's `state_dict` name. Keying by name rather than
/// by position means a parameter keeps its state however the list passed to `step` is filtered.
public protocol Optimizer: AnyObject {
    /// Applies one update to every parameter with learning rate `learningRate`; gradients are read, not cleared.
    func step(_ parameters: [(name: String, parameter: Parameter)], learningRate: Float)
}

/// Which parameters are exempt from weight decay: a predicate on the `state_dict` name and the parameter.
///
/// PyTorch decays every parameter of a param group unless the caller builds separate groups; the
/// optimisers here do the same by default (`NoDecay.none`). `NoDecay.oneDimensional` is the usual
/// recipe (timm, nanoGPT) that exempts biases and BatchNorm weight/bias, all the rank-1 parameters.
public enum NoDecay {
    /// Every parameter is decayed: PyTorch's default.
    public static let none: @Sendable (String, Parameter) -> Bool = { _, _ in false }
    /// Biases and normalisation weights/biases (every parameter of rank 0 or 1) are not decayed.
    public static let oneDimensional: @Sendable (String, Parameter) -> Bool = { _, parameter in parameter.value.rank <= 1 }
}

extension Parameter {
    /// Runs `body(value, grad, count)` over the value (mutable) and gradient storage of a trainable parameter.
    ///
    /// The gradient is copied to a local first (copy-on-write: no actual copy), so reading it
    /// while the value is mutated never trips exclusivity checks.
    func updateInPlace(_ body: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void) {
        precondition(kind == .parameter, "optimiser: \(name) is a buffer, not a trainable parameter")
        let gradient = grad
        gradient.expectShape(value.shape, "optimiser: gradient of \(name)")
        gradient.withUnsafePointer { g in
            value.withUnsafeMutablePointer { p in body(p, g, gradient.count) }
        }
    }
}
