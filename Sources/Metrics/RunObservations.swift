/// What the validity checks are computed from, kept in results.json as counts so that shards add
/// up: the checks of a merged run are computed from the sum of its shards' observations, exactly as
/// one run computes them from its own.
public struct RunObservations: Codable, Equatable, Sendable {
    /// Two forward passes of the first batch gave bit-identical logits.
    public var deterministic: Bool
    public var gradientSamples: Int
    public var zeroGradientSamples: Int
    public var nonFiniteLogits: Int
    public var nonFiniteGradients: Int
    /// Adversarial examples outside the ε-ball or the box [0, 1].
    public var boundViolations: Int
    /// PGD-50 at L∞ ε = 1 on the check subset: samples still robust, of n; chance = 1 / classes.
    public var largeEps: LargeEps?
    /// The first gradient attack again with 5x steps and 2 restarts on the check subset.
    public var convergence: Convergence?

    public struct LargeEps: Codable, Equatable, Sendable {
        public var robust: Int
        public var n: Int
        public var chance: Double
        public init(robust: Int, n: Int, chance: Double) { (self.robust, self.n, self.chance) = (robust, n, chance) }
        public var accuracy: Double { n == 0 ? 0 : Double(robust) / Double(n) }
    }

    public struct Convergence: Codable, Equatable, Sendable {
        public var attack: String
        public var eps: Double
        /// Samples robust under the run's own settings, and under the stronger attack, of n.
        public var baseRobust: Int
        public var strongerRobust: Int
        public var n: Int
        public init(attack: String, eps: Double, baseRobust: Int, strongerRobust: Int, n: Int) {
            (self.attack, self.eps, self.baseRobust, self.strongerRobust, self.n) = (attack, eps, baseRobust, strongerRobust, n)
        }
        public var base: Double { n == 0 ? 0 : Double(baseRobust) / Double(n) }
        public var stronger: Double { n == 0 ? 0 : Double(strongerRobust) / Double(n) }
    }

    public init(deterministic: Bool = true, gradientSamples: Int = 0, zeroGradientSamples: Int = 0, nonFiniteLogits: Int = 0,
                nonFiniteGradients: Int = 0, boundViolations: Int = 0, largeEps: LargeEps? = nil, convergence: Convergence? = nil) {
        self.deterministic = deterministic
        self.gradientSamples = gradientSamples
        self.zeroGradientSamples = zeroGradientSamples
        self.nonFiniteLogits = nonFiniteLogits
        self.nonFiniteGradients = nonFiniteGradients
        self.boundViolations = boundViolations
        self.largeEps = largeEps
        self.convergence = convergence
    }

    /// The observations of two disjoint parts of one run, together. A check subset that one part
    /// lacks (none of its samples were in it) is taken from the other.
    public func adding(_ other: RunObservations) -> RunObservations {
        func sum(_ a: LargeEps?, _ b: LargeEps?) -> LargeEps? {
            guard let a, let b else { return a ?? b }
            return LargeEps(robust: a.robust + b.robust, n: a.n + b.n, chance: a.chance)
        }
        func sum(_ a: Convergence?, _ b: Convergence?) -> Convergence? {
            guard let a, let b else { return a ?? b }
            return Convergence(attack: a.attack, eps: a.eps, baseRobust: a.baseRobust + b.baseRobust,
                               strongerRobust: a.strongerRobust + b.strongerRobust, n: a.n + b.n)
        }
        return RunObservations(deterministic: deterministic && other.deterministic, gradientSamples: gradientSamples + other.gradientSamples,
                               zeroGradientSamples: zeroGradientSamples + other.zeroGradientSamples,
                               nonFiniteLogits: nonFiniteLogits + other.nonFiniteLogits,
                               nonFiniteGradients: nonFiniteGradients + other.nonFiniteGradients,
                               boundViolations: boundViolations + other.boundViolations,
                               largeEps: sum(largeEps, other.largeEps), convergence: sum(convergence, other.convergence))
    }
}

/// Which part of a sharded run a results.json holds, and what ties the parts together.
public struct ShardInfo: Codable, Equatable, Sendable {
    /// 0-based shard number, of `count`.
    public var index: Int
    public var count: Int
    /// Where the shard number came from: `--shard`, `JOB_COMPLETION_INDEX` or `SLURM_ARRAY_TASK_ID`.
    public var source: String
    /// The whole selection the shards split: its size and the SHA-256 (hex) of its indices, one decimal per line.
    public var selectionCount: Int
    public var selectionDigest: String
    /// Position of this shard's first sample in the whole selection.
    public var firstPosition: Int
    /// Gallery examples kept per attack in the whole run (a merge keeps the first this many).
    public var examplesPerAttack: Int

    public init(index: Int, count: Int, source: String, selectionCount: Int, selectionDigest: String, firstPosition: Int,
                examplesPerAttack: Int) {
        (self.index, self.count, self.source, self.selectionCount) = (index, count, source, selectionCount)
        (self.selectionDigest, self.firstPosition, self.examplesPerAttack) = (selectionDigest, firstPosition, examplesPerAttack)
    }

    /// Shard `index` of `count` of a selection of `total` samples: a contiguous block of positions.
    public static func positions(index: Int, count: Int, total: Int) -> Range<Int> {
        (index * total / count)..<((index + 1) * total / count)
    }
}
