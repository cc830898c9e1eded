/// A named tensor owned by a layer: a trainable parameter with its gradient, or a buffer.
///
/// A class, so the layer, the optimiser and a checkpoint loader all see the same storage.
/// Names are PyTorch's (`weight`, `bias`, `running_mean`...) so checkpoints map one to one.
public final class Parameter {
    /// Trainable (has a gradient) or a buffer (state such as running statistics, no gradient).
    public enum Kind: Sendable { case parameter, buffer }

    /// The local name, e.g. `weight`; `Layer.namedState()` adds the dotted path.
    public let name: String
    public let kind: Kind
    /// The current value.
    public var value: Tensor {
        get { stored }
        set { stored = newValue; version &+= 1 }
        // In place, so an element-wise update does not copy the tensor (a `didSet` would).
        _modify { version &+= 1; yield &stored }
    }
    private var stored: Tensor
    /// Changes whenever `value` is written (set, or mutated in place): lets a layer keep data derived
    /// from the value (packed weights) until the value changes.
    public private(set) var version = 0
    /// dL/dvalue accumulated by `backward(_:accumulateParameterGradients: true)`; same shape as `value`
    /// (empty for buffers, which have no gradient).
    public var grad: Tensor

    /// A parameter or buffer with an initial value and, for parameters, a zero gradient.
    public init(_ name: String, _ value: Tensor, kind: Kind = .parameter) {
        self.name = name
        self.kind = kind
        stored = value
        grad = Tensor(shape: kind == .parameter ? value.shape : [0])
    }

    /// Sets the gradient to zero.
    public func zeroGrad() {
        guard kind == .parameter else { return }
        grad = Tensor(shape: value.shape)
    }
}

/// Uniform values in `[-bound, bound)` for weight initialisation, drawn from a seeded stream.
func uniformTensor(_ shape: [Int], bound: Float, rng: inout SplitMix64) -> Tensor {
    let count = shape.reduce(1, *)
    return Tensor(shape: shape, storage: (0..<count).map { _ in (rng.nextFloat() * 2 - 1) * bound })
}
