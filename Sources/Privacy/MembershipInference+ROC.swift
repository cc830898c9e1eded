/// One operating point of a membership-inference attack: every example scoring at least `threshold` is
/// called a member.
public struct ROCPoint: Equatable, Sendable {
    public let threshold: Double
    /// Members called members.
    public let truePositives: Int
    /// Non-members called members.
    public let falsePositives: Int
    public let tpr: Double
    public let fpr: Double
}

/// The ROC curve of an attack from its scores (higher = "member"), with one point per distinct score, so tied
/// scores move together and the curve is the exact one, not an interpolation.
///
/// Points run from (0, 0) at threshold +∞ to (1, 1) at the lowest score; both rates never decrease.
public struct ROCCurve: Equatable, Sendable {
    public let members: Int
    public let nonMembers: Int
    public let points: [ROCPoint]

    /// Throws `invalidScores` when a group is empty or a score is NaN (a NaN has no place in the order).
    public init(memberScores: [Double], nonMemberScores: [Double]) throws {
        guard !memberScores.isEmpty, !nonMemberScores.isEmpty else {
            throw PrivacyError.invalidScores("membership inference needs member and non-member scores, and a group is empty")
        }
        guard !(memberScores + nonMemberScores).contains(where: \.isNaN) else {
            throw PrivacyError.invalidScores("a membership score is NaN")
        }
        (members, nonMembers) = (memberScores.count, nonMemberScores.count)
        let labelled = (memberScores.map { ($0, true) } + nonMemberScores.map { ($0, false) }).sorted { $0.0 > $1.0 }
        var points = [ROCPoint(threshold: .infinity, truePositives: 0, falsePositives: 0, tpr: 0, fpr: 0)]
        var (tp, fp) = (0, 0)
        for (k, (score, isMember)) in labelled.enumerated() {
            if isMember { tp += 1 } else { fp += 1 }
            // A point only after the last example of a run of equal scores.
            if k + 1 == labelled.count || labelled[k + 1].0 != score {
                points.append(ROCPoint(threshold: score, truePositives: tp, falsePositives: fp,
                                       tpr: Double(tp) / Double(members), fpr: Double(fp) / Double(nonMembers)))
            }
        }
        self.points = points
    }

    /// Area under the curve by the trapezoid rule, which equals the Mann–Whitney U / (m·n) (ties count 1/2):
    /// summed in integers, 2U = Σ ΔFP·(TP_k + TP_{k−1}), and divided once, so the two agree to the last bit.
    public var auc: Double {
        var twiceU = 0
        for (previous, point) in zip(points, points.dropFirst()) {
            twiceU += (point.falsePositives - previous.falsePositives) * (point.truePositives + previous.truePositives)
        }
        return Double(twiceU) / Double(2 * members * nonMembers)
    }

    /// The point with the largest TPR among those with FPR ≤ `fpr` (the attack's power at that false-alarm
    /// rate); the (0, 0) point when no threshold keeps FPR that low.
    public func point(atFPR fpr: Double) -> ROCPoint {
        points.last { $0.fpr <= fpr } ?? points[0]
    }

    /// Clopper–Pearson interval of a point's TPR, on its member count.
    public func tprInterval(_ point: ROCPoint, confidence: Double = 0.95) -> (low: Double, high: Double) {
        clopperPearsonInterval(successes: point.truePositives, trials: members, confidence: confidence)
    }

    /// Clopper–Pearson interval of a point's FPR, on its non-member count; `.high` is the FPR's upper bound.
    public func fprInterval(_ point: ROCPoint, confidence: Double = 0.95) -> (low: Double, high: Double) {
        clopperPearsonInterval(successes: point.falsePositives, trials: nonMembers, confidence: confidence)
    }
}
