/// Flattens every dimension but the batch: `[N, d1, d2, ...] -> [N, d1*d2*...]`, as PyTorch's `nn.Flatten`.
///
/// Needed between convolutional features and a `Linear` head; NCHW order is kept, so a PyTorch
/// Linear weight trained after `flatten(1)` loads unchanged.
public final class Flatten: Layer {
    public var isTraining = false
    private var inputShape: [Int]?

    public init() {}

    // x: [N, ...] -> y: [N, prod(...)]
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        precondition(x.rank >= 1, "Flatten: expected input with a batch dimension, got shape \(x.shape)")
        inputShape = x.shape
        return x.reshaped([x.shape[0], x.count / max(1, x.shape[0])])
    }

    // dY: [N, prod(...)] -> dX: [N, ...]
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("Flatten: backward called before forward") }
        precondition(dY.count == shape.reduce(1, *), "Flatten.backward: dY shape \(dY.shape) does not match input \(shape)")
        return dY.reshaped(shape)
    }
}
