import Attacks
import Models

/// One attack of an evaluation: which registered attack, under which id, its options and its epsilons.
public struct AttackSpec: Sendable {
    /// Unique within the run; names the attack's rows in the CSVs (`pgd`, or `pgd-50` for a second pgd).
    public var id: String
    /// Registry name.
    public var attack: String
    public var options: AttackOptions
    /// Epsilons in pixel units, ascending.
    public var epsilons: [Double]
    /// What command-line flags changed in a suite's entry (`eps`, `steps`...): recorded in results.json.
    public var overriddenByFlags: [String]

    public init(id: String, attack: String, options: AttackOptions, epsilons: [Double], overriddenByFlags: [String] = []) {
        self.id = id
        self.attack = attack
        self.options = options
        self.epsilons = epsilons.sorted()
        self.overriddenByFlags = overriddenByFlags
    }

    /// A suite's entry with the command-line options applied: a flag overrides the suite's value for
    /// every attack that takes it (`--norm` and `--eps` for all), and is left alone by the others.
    public func applying(flags: AttackOptions, grid: [Double]?) -> AttackSpec {
        let takes = Set(AttackRegistry.named(attack)?.parameters.map(\.name) ?? [])
        var out = self
        out.options = options.overridden(by: flags, takes: takes)
        out.overriddenByFlags = flags.setNames.filter(takes.contains) + (flags.norm != nil ? ["norm"] : [])
        if let grid {
            out.epsilons = grid.sorted()
            out.overriddenByFlags.append("eps")
        }
        return out
    }
}

/// Everything `robust eval` needs to run: the model, the data, the attacks and the run settings.
public struct EvalRequest: Sendable {
    /// `cnn`, `cnn-fmnist`, or a path to a .safetensors or .onnx file.
    public var model: String
    public var modelsDirectory: String
    /// Input scaling and normalisation for an ONNX model whose graph does not do it.
    public var conventions: InputConventions
    /// Evaluate only this shard of the selection (nil: all of it).
    public var shard: ShardRequest?
    /// The run folder, where finished batches are journaled (nil: no journal).
    public var runFolder: String?
    /// Continue the run journaled in `runFolder` instead of starting afresh.
    public var resume: Bool
    public var dataset: String
    public var dataDirectory: String?
    public var samples: Int?
    public var indicesFile: String?
    public var attacks: [AttackSpec]
    public var batchSize: Int
    public var seed: UInt64
    /// Reuse a sample's adversarial example at larger epsilons once it is fooled (the example
    /// stays inside every larger ball) instead of attacking it again; `--independent` turns it off.
    public var reuse: Bool
    /// Stop attacking samples as soon as they are fooled; off only to benchmark fixed work.
    public var prune: Bool
    /// Run the extra validity checks that need their own attack runs (large epsilon, convergence).
    public var extraChecks: Bool
    /// Adversarial examples kept per attack for the report's gallery.
    public var examplesPerAttack: Int
    /// Certified lower bounds to compute beside the attacks (`ibp`, `crown`), at every ε of the L∞ grids.
    public var certify: [String]
    /// The ε grid of the certification when it is not the attacks' (`robust certify`, which runs none).
    public var certificationGrid: [Double]?

    public init(model: String, modelsDirectory: String = "models", dataset: String = "fashion-mnist", dataDirectory: String? = nil,
                samples: Int? = nil, indicesFile: String? = nil, attacks: [AttackSpec], batchSize: Int = 128,
                seed: UInt64 = 0, reuse: Bool = true, prune: Bool = true, extraChecks: Bool = true, examplesPerAttack: Int = 4,
                conventions: InputConventions = InputConventions(), shard: ShardRequest? = nil, runFolder: String? = nil,
                resume: Bool = false, certify: [String] = [], certificationGrid: [Double]? = nil) {
        self.certify = certify
        self.certificationGrid = certificationGrid
        self.runFolder = runFolder
        self.resume = resume
        self.model = model
        self.conventions = conventions
        self.shard = shard
        self.modelsDirectory = modelsDirectory
        self.dataset = dataset
        self.dataDirectory = dataDirectory
        self.samples = samples
        self.indicesFile = indicesFile
        self.attacks = attacks
        self.batchSize = batchSize
        self.seed = seed
        self.reuse = reuse
        self.prune = prune
        self.extraChecks = extraChecks
        self.examplesPerAttack = examplesPerAttack
    }

    /// The default epsilon grid for Fashion-MNIST-like data in L-inf: 7 points up to 0.3.
    public static let defaultLinfGrid: [Double] = [0, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3]
    /// The default grid in L2 (pixel units, 28x28 images).
    public static let defaultL2Grid: [Double] = [0, 0.25, 0.5, 1, 1.5, 2, 3]
}
