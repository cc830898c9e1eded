/// A differentiable network layer: `forward` caches what `backward` needs, `backward` returns dX.
///
/// Class-bound because a layer owns mutable state (its parameters, running statistics and the
/// forward cache) that a model shares with its trainer. Parameter gradients are opt-in per call:
/// attacks need dX only and must not pay for dW (Conv2d then skips its weight GEMM entirely).
public protocol Layer: AnyObject {
    /// Training mode (batch statistics in BatchNorm) or inference mode; containers propagate it.
    /// Layers start in inference mode (unlike PyTorch), because attacks and evaluation, most of
    /// robust's work, must never update running statistics by accident; training sets it to true.
    var isTraining: Bool { get set }

    /// Computes the output for a batch and caches what `backward` needs.
    func forward(_ x: Tensor, context: ExecutionContext) -> Tensor

    /// Returns dL/dX for the last `forward`, given dL/dY. When `accumulateParameterGradients`
    /// is true it also ADDS dL/dW into each `Parameter.grad`; when false no `grad` is touched.
    func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor

    /// `backward(accumulateParameterGradients: true)` for a caller that discards dX: a training
    /// step, whose network input needs no gradient. A layer that can skip computing dX does (a
    /// one-channel first convolution's dX was 4 % of a cnn training step); the default computes
    /// and drops it.
    func accumulateParameterGradients(_ dY: Tensor, context: ExecutionContext)

    /// This layer's own parameters and buffers (not its children's), in PyTorch `state_dict` order.
    var ownParameters: [Parameter] { get }

    /// Direct sub-layers with their `state_dict` names (`"0"`, `"conv1"`...).
    var children: [(name: String, layer: any Layer)] { get }
}

extension Layer {
    /// No parameters: the default for activations, pools and reshapes.
    public var ownParameters: [Parameter] { [] }
    /// Computes dX and drops it: the default for layers that cannot skip it (or that have no parameters).
    public func accumulateParameterGradients(_ dY: Tensor, context: ExecutionContext) {
        _ = backward(dY, accumulateParameterGradients: true, context: context)
    }
    /// No sub-layers: the default for every layer but containers.
    public var children: [(name: String, layer: any Layer)] { [] }

    /// Every parameter and buffer under this layer, with dotted PyTorch `state_dict` names
    /// (`layer1.0.conv1.weight`): own entries first, then each child's, as `Module.state_dict` orders them.
    public func namedState(prefix: String = "") -> [(name: String, parameter: Parameter)] {
        var out = ownParameters.map { (name: prefix + $0.name, parameter: $0) }
        for child in children {
            out += child.layer.namedState(prefix: prefix + child.name + ".")
        }
        return out
    }

    /// The trainable parameters (no buffers), named as in `state_dict`: what an optimiser updates.
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        namedState().filter { $0.parameter.kind == .parameter }
    }

    /// The buffers (running statistics), named as in `state_dict`.
    public func namedBuffers() -> [(name: String, parameter: Parameter)] {
        namedState().filter { $0.parameter.kind == .buffer }
    }

    /// Sets every parameter gradient under this layer to zero, before accumulating a new batch.
    public func zeroGrad() {
        for entry in namedParameters() { entry.parameter.zeroGrad() }
    }
}
