@_exported import NN

/// A zoo classifier: the network plus what it needs to be used and saved — architecture,
/// dataset, input shape, class names and preprocessing.
///
/// A class because the network is shared, mutable state (training updates it in place).
public final class Model {
    /// The registry name of the architecture, e.g. `cnn`.
    public let architecture: String
    /// The dataset it is for, e.g. `fashion-mnist` (names the shipped checkpoint and the card).
    public let dataset: String
    public let inputShape: InputShape
    /// One name per output logit.
    public let classNames: [String]
    /// The constants of the network's first (`Normalize`) layer.
    public let preprocessing: Preprocessing
    /// The network, for training (set `isTraining`) and for gradients.
    public let network: any Layer

    /// A freshly initialised model. `preprocessing` defaults to the dataset's standard constants.
    /// Throws `ModelError` for an unknown architecture or a shape it cannot take.
    public init(architecture: String, dataset: String, inputShape: InputShape, classNames: [String],
                preprocessing: Preprocessing? = nil, seed: UInt64) throws {
        guard let arch = Architecture.named(architecture) else {
            throw ModelError("unknown architecture '\(architecture)'; known architectures: \(Architecture.names.joined(separator: ", "))")
        }
        let preprocessing = preprocessing ?? .standard(dataset: dataset, channels: inputShape.channels)
        network = try arch.makeNetwork(input: inputShape, classes: classNames.count, preprocessing: preprocessing, seed: seed)
        self.architecture = architecture
        self.dataset = dataset
        self.inputShape = inputShape
        self.classNames = classNames
        self.preprocessing = preprocessing
    }

    /// Number of classes (outputs).
    public var classes: Int { classNames.count }

    /// Trainable parameter count, as PyTorch's `sum(p.numel() for p in model.parameters())` (buffers excluded).
    public var parameterCount: Int {
        network.namedParameters().reduce(0) { $0 + $1.parameter.value.count }
    }

    /// The logits for a batch in inference mode (running BatchNorm statistics, nothing updated);
    /// the network's mode is restored afterwards, so a trainer may call it between steps.
    // x: [N, C, H, W] pixels in [0, 1] -> logits [N, classes]
    public func logits(_ x: Tensor, context: ExecutionContext) -> Tensor {
        precondition(x.rank == 4 && Array(x.shape.dropFirst()) == [inputShape.channels, inputShape.height, inputShape.width],
                     "Model \(architecture): expected input [N, \(inputShape.channels), \(inputShape.height), \(inputShape.width)], got \(x.shape)")
        let wasTraining = network.isTraining
        network.isTraining = false
        defer { network.isTraining = wasTraining }
        return network.forward(x, context: context)
    }
}
