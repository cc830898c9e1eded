/// One point of a robustness-accuracy curve: accuracy under one attack (or the worst case over
/// all attacks, `attack == "worst"`) at one epsilon. Field order is `curve.csv`'s column order.
public struct CurvePoint: Codable, Equatable, Sendable {
    /// The attack id, or `worst`.
    public var attack: String
    public var norm: String
    public var eps: Double
    /// Samples evaluated.
    public var n: Int
    public var cleanAcc: Double
    /// Fraction of samples classified correctly after the attack (a sample misclassified clean is never robust).
    public var robustAcc: Double
    /// Wilson 95 % interval of `robustAcc`.
    public var ciLow: Double
    public var ciHigh: Double
    /// Fraction of the clean-correct samples the attack fooled (0 when none were correct).
    public var successRate: Double
    /// Median and maximum perturbation size, in the attack's norm, over successful adversarial examples (0 if none).
    public var medianNorm: Double
    public var maxNorm: Double
    /// Model queries (forward passes per sample, summed) the attack spent at this epsilon.
    public var queries: Int
    public var seconds: Double

    public init(attack: String, norm: String, eps: Double, n: Int, cleanAcc: Double, robustAcc: Double, ciLow: Double, ciHigh: Double,
                successRate: Double, medianNorm: Double, maxNorm: Double, queries: Int, seconds: Double) {
        self.attack = attack
        self.norm = norm
        self.eps = eps
        self.n = n
        self.cleanAcc = cleanAcc
        self.robustAcc = robustAcc
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.successRate = successRate
        self.medianNorm = medianNorm
        self.maxNorm = maxNorm
        self.queries = queries
        self.seconds = seconds
    }

    /// The attack id used for worst-case points.
    public static let worstCase = "worst"
}

/// What happened to one sample under one attack at one epsilon. Field order is `samples.csv`'s column order.
public struct SampleRecord: Codable, Equatable, Sendable {
    /// Global index of the sample in its dataset split.
    public var index: Int
    public var label: Int
    public var attack: String
    public var norm: String
    public var eps: Double
    public var cleanPred: Int
    public var advPred: Int
    /// The clean prediction was right and the adversarial one is wrong (untargeted), or equals the target (targeted).
    public var success: Bool
    /// Size of the perturbation actually applied.
    public var linf: Double
    public var l2: Double

    public init(index: Int, label: Int, attack: String, norm: String, eps: Double, cleanPred: Int, advPred: Int,
                success: Bool, linf: Double, l2: Double) {
        self.index = index
        self.label = label
        self.attack = attack
        self.norm = norm
        self.eps = eps
        self.cleanPred = cleanPred
        self.advPred = advPred
        self.success = success
        self.linf = linf
        self.l2 = l2
    }

    /// Robust: classified correctly after the attack.
    public var isRobust: Bool { advPred == label }
}

/// An adversarial example kept for the report: pixels as bytes (0-255, CHW) so results.json stays
/// self-contained and the report can be rendered from it alone.
public struct Example: Codable, Equatable, Sendable {
    public var index: Int
    public var label: Int
    public var attack: String
    public var norm: String
    public var eps: Double
    public var cleanPred: Int
    public var cleanConfidence: Double
    public var advPred: Int
    public var advConfidence: Double
    public var channels: Int
    public var height: Int
    public var width: Int
    /// CHW bytes, `round(255 * pixel)`.
    public var cleanPixels: [UInt8]
    public var advPixels: [UInt8]

    public init(index: Int, label: Int, attack: String, norm: String, eps: Double, cleanPred: Int, cleanConfidence: Double,
                advPred: Int, advConfidence: Double, channels: Int, height: Int, width: Int, cleanPixels: [UInt8], advPixels: [UInt8]) {
        self.index = index
        self.label = label
        self.attack = attack
        self.norm = norm
        self.eps = eps
        self.cleanPred = cleanPred
        self.cleanConfidence = cleanConfidence
        self.advPred = advPred
        self.advConfidence = advConfidence
        self.channels = channels
        self.height = height
        self.width = width
        self.cleanPixels = cleanPixels
        self.advPixels = advPixels
    }
}
