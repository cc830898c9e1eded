/// One sample's certificate at one ε: whether no input in the L∞ ball of radius ε (intersected with the
/// [0, 1] box) can change its class, and the lower bound on its margin that decided it.
public struct CertifiedRecord: Codable, Equatable, Sendable {
    /// Global index of the sample in the dataset.
    public var index: Int
    public var eps: Double
    /// `margin > 0`: the sample is provably robust at `eps` (so also correctly classified).
    public var certified: Bool
    /// Lower bound of min over j != y of z_y - z_j over the ball; -infinity (the bounds overflowed, or none was
    /// computed because the sample was not certified at a smaller ε) is written as -1e30.
    public var margin: Double

    public init(index: Int, eps: Double, certified: Bool, margin: Double) {
        (self.index, self.eps, self.certified) = (index, eps, certified)
        self.margin = margin.isFinite ? margin : -1e30
    }
}

/// The certified lower bounds of a run (`robust eval --certify`): which bound methods, and a record per
/// sample and ε. Attacks give an upper bound on robust accuracy, these a lower one.
public struct CertificationRun: Codable, Equatable, Sendable {
    /// The bound methods whose tightest bound each sample kept, e.g. `["ibp", "crown"]`.
    public var methods: [String]
    /// Always `linf`: the bounds are for L∞ balls.
    public var norm: String
    public var epsilons: [Double]
    public var records: [CertifiedRecord]
    public var seconds: Double

    public init(methods: [String], epsilons: [Double], records: [CertifiedRecord], seconds: Double) {
        (self.methods, self.norm, self.epsilons, self.records, self.seconds) = (methods, "linf", epsilons, records, seconds)
    }

    /// Certified-accuracy points, one per ε, as curve points of the series `certified` (its `robustAcc` is
    /// the certified fraction, with a Wilson interval). `cleanAccuracy` is the run's.
    public func curvePoints(cleanAccuracy: Double) -> [CurvePoint] {
        let seconds = self.seconds / Double(max(1, epsilons.count))
        return epsilons.map { eps in
            let atEps = records.filter { $0.eps == eps }
            let certified = atEps.filter(\.certified).count
            let (low, high) = wilsonInterval(successes: certified, trials: atEps.count)
            return CurvePoint(attack: CurvePoint.certified, norm: norm, eps: eps, n: atEps.count, cleanAcc: cleanAccuracy,
                              robustAcc: atEps.isEmpty ? 0 : Double(certified) / Double(atEps.count), ciLow: low, ciHigh: high,
                              successRate: 0, medianNorm: 0, maxNorm: 0, queries: 0, seconds: seconds)
        }
    }

    /// Samples certified at an ε and yet fooled by an attack at that ε and norm: each one means a bound
    /// or an attack is wrong (a certificate is a proof that no such example exists).
    public func contradictions(with samples: [SampleRecord]) -> [SampleRecord] {
        let certified = Set(records.filter(\.certified).map { CertifiedKey(index: $0.index, eps: $0.eps) })
        return samples.filter { $0.norm == norm && !$0.isRobust && certified.contains(CertifiedKey(index: $0.index, eps: $0.eps)) }
    }
}

private struct CertifiedKey: Hashable {
    let index: Int
    let eps: Double
}

extension CurvePoint {
    /// The series of certified accuracy (`robust eval --certify`), beside the attacks' and `worst`.
    public static let certified = "certified"
}
