import NN

/// An adversarial attack: given a batch of clean images and labels, returns adversarial images
/// inside the epsilon-ball (in its norm) and the box [0, 1].
///
/// Conforming types are registered by name in `AttackRegistry`. An attack is built from
/// `AttackOptions` (the user's flags; nil means the attack's default) and must be deterministic
/// given `AttackContext.seed` and each sample's global index: randomness comes from
/// `context.rng(sample:restart:)`, never from a shared stream.
public protocol Attack {
    /// Registry name, e.g. `pgd`.
    static var name: String { get }
    /// One line for `robust attacks`.
    static var summary: String { get }
    /// Norms it supports; the first is its default.
    static var norms: [Norm] { get }
    /// White-box (input gradients) or score-based black-box.
    static var usesGradients: Bool { get }
    /// Its parameters, with defaults and help, for `robust attacks` and `--help`.
    static var parameters: [ParameterSpec] { get }

    /// Resolves the options; throws `AttackError` for values it cannot use.
    init(options: AttackOptions) throws

    /// Every parameter's resolved value as text, for results.json (given epsilon, for defaults derived from it).
    func resolvedParameters(eps: Double) -> [String: String]

    /// Adversarial examples for x: [N, C, H, W] with its labels. `targets` is set for targeted runs.
    func perturb(_ classifier: any Classifier, x: Tensor, labels: [Int], targets: [Int]?, context: AttackContext) -> Tensor
}

extension Attack {
    /// The norm this instance runs in.
    public static var defaultNorm: Norm { norms[0] }
}

/// A parameter an attack reads from `AttackOptions`.
public struct ParameterSpec: Sendable {
    public var name: String
    public var defaultValue: String
    public var help: String

    public init(_ name: String, _ defaultValue: String, _ help: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.help = help
    }
}

/// How targets are chosen for a targeted attack.
public enum TargetMode: Equatable, Sendable, CustomStringConvertible {
    /// Untargeted: any wrong class is a success.
    case none
    /// A uniformly random class other than the label, drawn per sample.
    case random
    /// The class with the lowest clean logit.
    case leastLikely
    /// One fixed class for every sample (samples of that class cannot be attacked towards it).
    case fixed(Int)

    /// Parses `random`, `least-likely` or a class index.
    public init?(_ text: String) {
        switch text {
        case "none": self = .none
        case "random": self = .random
        case "least-likely": self = .leastLikely
        default:
            guard let k = Int(text), k >= 0 else { return nil }
            self = .fixed(k)
        }
    }

    public var description: String {
        switch self {
        case .none: return "none"
        case .random: return "random"
        case .leastLikely: return "least-likely"
        case .fixed(let k): return "\(k)"
        }
    }
}

/// The user's attack settings; nil means "the attack's default". Each attack reads the ones it declares.
public struct AttackOptions: Sendable {
    public var norm: Norm?
    public var steps: Int?
    /// Step size in pixel units (attacks default it from epsilon).
    public var stepSize: Double?
    public var restarts: Int?
    public var randomStart: Bool?
    /// Momentum decay (MI-FGSM).
    public var momentum: Double?
    /// Query budget per sample (Square).
    public var queries: Int?
    /// Initial fraction of pixels changed per square (Square).
    public var pInit: Double?
    /// Number of target classes tried (APGD-T).
    public var targetClasses: Int?
    /// Noise draws per sample, keeping the worst (noise baselines).
    public var draws: Int?
    public var target: TargetMode

    public init(norm: Norm? = nil, steps: Int? = nil, stepSize: Double? = nil, restarts: Int? = nil, randomStart: Bool? = nil,
                momentum: Double? = nil, queries: Int? = nil, pInit: Double? = nil, targetClasses: Int? = nil, draws: Int? = nil,
                target: TargetMode = .none) {
        self.norm = norm
        self.steps = steps
        self.stepSize = stepSize
        self.restarts = restarts
        self.randomStart = randomStart
        self.momentum = momentum
        self.queries = queries
        self.pInit = pInit
        self.targetClasses = targetClasses
        self.draws = draws
        self.target = target
    }

    /// The parameter names (as attacks declare them in `parameters`) of the options that are set.
    public var setNames: [String] {
        let set: [(String, Bool)] = [
            ("steps", steps != nil), ("step_size", stepSize != nil), ("restarts", restarts != nil),
            ("random_start", randomStart != nil), ("momentum", momentum != nil), ("queries", queries != nil),
            ("p_init", pInit != nil), ("target_classes", targetClasses != nil), ("draws", draws != nil), ("target", target != .none),
        ]
        return set.filter(\.1).map(\.0)
    }

    /// These options, with every one that `other` sets taken from `other` instead (command-line
    /// flags over a suite's values), keeping only those in `names` (what the attack takes).
    public func overridden(by other: AttackOptions, takes names: Set<String>) -> AttackOptions {
        var out = self
        if let v = other.norm { out.norm = v }
        if names.contains("steps"), let v = other.steps { out.steps = v }
        if names.contains("step_size"), let v = other.stepSize { out.stepSize = v }
        if names.contains("restarts"), let v = other.restarts { out.restarts = v }
        if names.contains("random_start"), let v = other.randomStart { out.randomStart = v }
        if names.contains("momentum"), let v = other.momentum { out.momentum = v }
        if names.contains("queries"), let v = other.queries { out.queries = v }
        if names.contains("p_init"), let v = other.pInit { out.pInit = v }
        if names.contains("target_classes"), let v = other.targetClasses { out.targetClasses = v }
        if names.contains("draws"), let v = other.draws { out.draws = v }
        if names.contains("target"), other.target != .none { out.target = other.target }
        return out
    }
}

/// `step_size` as the command-line flag that sets it, `--step-size`.
public func optionFlag(_ parameter: String) -> String { "--" + parameter.replacingOccurrences(of: "_", with: "-") }

/// Per-batch facts an attack needs beyond the images: epsilon, the run seed and each sample's identity.
public struct AttackContext: Sendable {
    public var eps: Float
    public var seed: UInt64
    /// Global dataset index of each sample in the batch: the key of its random stream.
    public var indices: [Int]
    /// Stop attacking a sample once it is fooled (the returned example is the same either way,
    /// because iterative attacks keep the first successful iterate; only time is saved).
    public var prune: Bool
    /// Keep each sample's highest-objective iterate even after it is fooled (adversarial training
    /// wants the strongest example, an evaluation the first success). Implies no pruning.
    public var keepHighestLoss: Bool

    public init(eps: Float, seed: UInt64, indices: [Int], prune: Bool = true, keepHighestLoss: Bool = false) {
        self.eps = eps
        self.seed = seed
        self.indices = indices
        self.prune = prune && !keepHighestLoss
        self.keepHighestLoss = keepHighestLoss
    }

    /// The random stream of one sample for one restart of one attack. Independent of the batch,
    /// the thread count and the sharding, because it is keyed by the sample's global index.
    public func rng(sample i: Int, attack: String, restart: Int = 0) -> SplitMix64 {
        SplitMix64(seed: SplitMix64.derive(seed, UInt64(indices[i]), stableHash(attack), UInt64(restart), UInt64(eps.bitPattern)))
    }
}

/// FNV-1a of a string: a hash that, unlike `Hasher`, is the same in every process.
func stableHash(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in s.utf8 {
        h ^= UInt64(byte)
        h = h &* 0x100_0000_01b3
    }
    return h
}

/// An attack option that cannot be used (a usage error).
public struct AttackError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Checks an optional integer option: positive, or absent (the default).
func positive(_ value: Int?, _ flag: String, default fallback: Int) throws -> Int {
    guard let value else { return fallback }
    guard value > 0 else { throw AttackError("\(flag) must be a positive integer (got \(value))") }
    return value
}

/// The attack's norm: the one asked for, if it supports it.
func resolveNorm(_ asked: Norm?, supported: [Norm], attack: String) throws -> Norm {
    guard let asked else { return supported[0] }
    guard supported.contains(asked) else {
        throw AttackError("attack '\(attack)' does not support --norm \(asked.rawValue); it supports \(supported.map(\.rawValue).joined(separator: ", "))")
    }
    return asked
}
