import Foundation

/// Everything one `robust eval` run measured: the single source of truth that the CSV files,
/// the HTML report and the CI gate are rendered from (never recomputed from tensors).
///
/// Encoded as `results.json` with snake_case keys and sorted keys, so diffs between runs are readable.
public struct RunResults: Codable, Equatable, Sendable {
    /// Bumped whenever a field changes meaning; readers refuse versions they do not know.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var toolVersion: String
    /// When the run started, ISO 8601 UTC.
    public var created: String
    /// Wall-clock seconds of the whole run.
    public var seconds: Double
    public var model: ModelInfo
    public var dataset: DatasetInfo
    /// The run seed; every random choice derives from it and a sample's global index.
    public var seed: UInt64
    public var threads: Int
    public var batchSize: Int
    /// Clean (unattacked) accuracy on the evaluated samples.
    public var clean: CleanResult
    /// Every attack that ran, with its full parameters.
    public var attacks: [AttackRun]
    /// One point per attack x epsilon, plus `worst` points (a sample counts robust only if it
    /// survived every attack run at that epsilon and norm).
    public var curve: [CurvePoint]
    /// One record per sample x attack x epsilon.
    public var samples: [SampleRecord]
    /// Adversarial examples for the report's gallery (clean and adversarial pixels).
    public var examples: [Example]
    /// Evaluation-validity checks (gradient masking, convergence, bounds...).
    public var checks: [ValidityCheck]
    /// The counts the checks were computed from (absent in results written before sharding).
    public var observations: RunObservations?
    /// Which shard of a larger run this is; nil for a whole run (and for a merged one).
    public var shard: ShardInfo?
    /// Certified lower bounds (`--certify`), nil when none were asked for.
    public var certification: CertificationRun?

    public init(schemaVersion: Int = RunResults.currentSchemaVersion, toolVersion: String, created: String, seconds: Double,
                model: ModelInfo, dataset: DatasetInfo, seed: UInt64, threads: Int, batchSize: Int, clean: CleanResult,
                attacks: [AttackRun], curve: [CurvePoint], samples: [SampleRecord], examples: [Example], checks: [ValidityCheck],
                observations: RunObservations? = nil, shard: ShardInfo? = nil, certification: CertificationRun? = nil) {
        self.certification = certification
        self.observations = observations
        self.shard = shard
        self.schemaVersion = schemaVersion
        self.toolVersion = toolVersion
        self.created = created
        self.seconds = seconds
        self.model = model
        self.dataset = dataset
        self.seed = seed
        self.threads = threads
        self.batchSize = batchSize
        self.clean = clean
        self.attacks = attacks
        self.curve = curve
        self.samples = samples
        self.examples = examples
        self.checks = checks
    }
}

/// The model that was evaluated.
public struct ModelInfo: Codable, Equatable, Sendable {
    /// The name it was asked for by (`cnn`, `cnn-fmnist`, or a path's file name).
    public var name: String
    public var path: String
    public var architecture: String
    /// SHA-256 of the checkpoint file's weights, hex.
    public var sha256: String
    public var parameters: Int
    /// Clean test accuracy recorded in the model card at training time, if any.
    public var cardCleanAccuracy: Double?
    /// `safetensors` (a zoo checkpoint) or `onnx`; absent in results written before ONNX import.
    public var format: String?
    /// For ONNX models: the opset, the producer (`pytorch 2.13.0`) and the node count per operator.
    public var opset: Int?
    public var producer: String?
    public var opHistogram: [String: Int]?
    /// What loading changed or assumed (a stripped Softmax, input scaling), one sentence each.
    public var notes: [String]?

    public init(name: String, path: String, architecture: String, sha256: String, parameters: Int, cardCleanAccuracy: Double?,
                format: String? = nil, opset: Int? = nil, producer: String? = nil, opHistogram: [String: Int]? = nil,
                notes: [String]? = nil) {
        self.name = name
        self.path = path
        self.architecture = architecture
        self.sha256 = sha256
        self.parameters = parameters
        self.cardCleanAccuracy = cardCleanAccuracy
        self.format = format
        self.opset = opset
        self.producer = producer
        self.opHistogram = opHistogram
        self.notes = notes
    }
}

/// The data that was evaluated: which dataset, split and samples.
public struct DatasetInfo: Codable, Equatable, Sendable {
    public var name: String
    public var split: String
    /// The folder it was read from.
    public var directory: String
    public var classNames: [String]
    public var channels: Int
    public var height: Int
    public var width: Int
    /// Global indices of the evaluated samples, in evaluation order.
    public var indices: [Int]

    public init(name: String, split: String, directory: String, classNames: [String], channels: Int, height: Int, width: Int, indices: [Int]) {
        self.name = name
        self.split = split
        self.directory = directory
        self.classNames = classNames
        self.channels = channels
        self.height = height
        self.width = width
        self.indices = indices
    }
}

/// Clean accuracy on the evaluated samples, with its Wilson 95 % interval.
public struct CleanResult: Codable, Equatable, Sendable {
    public var n: Int
    public var correct: Int
    public var accuracy: Double
    public var ciLow: Double
    public var ciHigh: Double

    public init(n: Int, correct: Int) {
        self.n = n
        self.correct = correct
        accuracy = n == 0 ? 0 : Double(correct) / Double(n)
        (ciLow, ciHigh) = wilsonInterval(successes: correct, trials: n)
    }
}

/// One attack as run: its registry name, a unique id within the run, and every parameter.
public struct AttackRun: Codable, Equatable, Sendable {
    /// Unique within a run (`pgd`, or `pgd-100` when a suite runs pgd twice); the `attack` column of the CSVs.
    public var id: String
    /// Registry name (`pgd`, `apgd-ce`...).
    public var attack: String
    /// `linf` or `l2`.
    public var norm: String
    public var epsilons: [Double]
    /// Every parameter with its value as text (steps, step size, restarts, target mode...), defaults included.
    public var parameters: [String: String]
    /// Whether the attack needs input gradients (white-box) or only scores (black-box).
    public var usesGradients: Bool
    public var seconds: Double

    public init(id: String, attack: String, norm: String, epsilons: [Double], parameters: [String: String], usesGradients: Bool, seconds: Double) {
        self.id = id
        self.attack = attack
        self.norm = norm
        self.epsilons = epsilons
        self.parameters = parameters
        self.usesGradients = usesGradients
        self.seconds = seconds
    }
}
