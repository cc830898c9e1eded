/// A chain of layers applied in order, as PyTorch's `nn.Sequential`.
///
/// Children are named by index (`0`, `1`, ...) like PyTorch, or by the names given, so
/// `state_dict` keys match the equivalent PyTorch module. Setting `isTraining` sets it on every child.
public final class Sequential: Layer {
    /// The layers, applied first to last.
    public let layers: [any Layer]
    private let names: [String]

    public var isTraining = false {
        didSet { for layer in layers { layer.isTraining = isTraining } }
    }

    /// Layers named `0`, `1`, ... in order.
    public init(_ layers: [any Layer]) {
        self.layers = layers
        names = layers.indices.map(String.init)
        for layer in layers { layer.isTraining = isTraining }
    }

    /// Layers named `0`, `1`, ... in order.
    public convenience init(_ layers: any Layer...) {
        self.init(layers)
    }

    /// Layers with explicit names (e.g. `conv1`, `bn1`), as an `OrderedDict` in PyTorch.
    public init(named: [(String, any Layer)]) {
        precondition(Set(named.map(\.0)).count == named.count, "Sequential: duplicate child names \(named.map(\.0))")
        layers = named.map(\.1)
        names = named.map(\.0)
        for layer in layers { layer.isTraining = isTraining }
    }

    public var children: [(name: String, layer: any Layer)] {
        zip(names, layers).map { (name: $0, layer: $1) }
    }

    // x -> layers[last](...layers[0](x))
    public func forward(_ x: Tensor, context: ExecutionContext) -> Tensor {
        layers.reduce(x) { $1.forward($0, context: context) }
    }

    // dY -> dX through the layers in reverse order
    public func backward(_ dY: Tensor, accumulateParameterGradients: Bool, context: ExecutionContext) -> Tensor {
        layers.reversed().reduce(dY) { $1.backward($0, accumulateParameterGradients: accumulateParameterGradients, context: context) }
    }

    // Backward stops at the first layer with parameters, which is asked for its parameter gradients only:
    // the layers in front of it have no gradients to add.
    public func accumulateParameterGradients(_ dY: Tensor, context: ExecutionContext) {
        guard let first = layers.firstIndex(where: { !$0.namedParameters().isEmpty }) else { return }
        let dFirst = layers[(first + 1)...].reversed().reduce(dY) {
            $1.backward($0, accumulateParameterGradients: true, context: context)
        }
        layers[first].accumulateParameterGradients(dFirst, context: context)
    }
}
