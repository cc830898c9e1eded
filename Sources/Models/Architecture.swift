import NN

/// A zoo architecture: a name and a builder sized from the input shape and the number of classes.
///
/// `Architecture.all` is the one registry (an explicit table, no reflection). Every network
/// starts with its `Normalize` layer and names its tensors as the equivalent PyTorch module's
/// `state_dict` (docs/pytorch-models.md), so checkpoints load in PyTorch with `strict=True`.
public struct Architecture: Sendable {
    /// The registry name, e.g. `cnn`.
    public let name: String
    /// One line for `robust models`.
    public let summary: String
    /// The smallest height and width the layers accept.
    public let minimumSide: Int
    private let build: @Sendable (InputShape, Int, Preprocessing, inout LayerSeeds) -> any Layer

    init(name: String, summary: String, minimumSide: Int,
         build: @escaping @Sendable (InputShape, Int, Preprocessing, inout LayerSeeds) -> any Layer) {
        self.name = name
        self.summary = summary
        self.minimumSide = minimumSide
        self.build = build
    }

    /// Every architecture, in the order `robust models` lists them.
    public static let all: [Architecture] = [.mlp, .cnn, .resnetLite]

    /// The registry names, in order.
    public static var names: [String] { all.map(\.name) }

    /// The architecture called `name`, or nil.
    public static func named(_ name: String) -> Architecture? {
        all.first { $0.name == name }
    }

    /// A freshly initialised network; every layer draws its weights from a seed derived from
    /// `seed` and the layer's position, so the same seed gives the same network.
    /// Throws `ModelError` when the input, classes or preprocessing do not fit.
    public func makeNetwork(input: InputShape, classes: Int, preprocessing: Preprocessing, seed: UInt64) throws -> any Layer {
        guard input.channels > 0, input.height >= minimumSide, input.width >= minimumSide else {
            throw ModelError("\(name) needs at least 1 channel and \(minimumSide)x\(minimumSide) pixels, got input \(input)")
        }
        guard classes >= 2 else { throw ModelError("\(name) needs at least 2 classes, got \(classes)") }
        if let problem = preprocessing.problem(channels: input.channels) { throw ModelError("\(name): \(problem)") }
        var seeds = LayerSeeds(seed: seed)
        return build(input, classes, preprocessing, &seeds)
    }
}

/// Per-layer initialisation seeds `derive(seed, 1)`, `derive(seed, 2)`, ... in construction order.
struct LayerSeeds {
    let seed: UInt64
    private var index: UInt64 = 0

    init(seed: UInt64) { self.seed = seed }

    mutating func next() -> UInt64 {
        index += 1
        return SplitMix64.derive(seed, index)
    }
}

extension Normalize {
    /// The first layer of every zoo network.
    convenience init(_ preprocessing: Preprocessing) {
        self.init(mean: preprocessing.mean, std: preprocessing.std)
    }
}
