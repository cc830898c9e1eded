import Foundation
import Models
import Privacy
import Reports
import Workflow

/// The DP audit: a model card's (ε, δ) claim against the attacks' measured ROCs.
enum DPAudit {
    /// The Clopper–Pearson level of the audit's bounds.
    static let confidence = 0.95

    /// The card's claim, from training-recipe keys `dp_epsilon` and `dp_delta` (written by `robust train --dp`);
    /// nil without them. A claim that is not a valid (ε, δ) is bad input naming the card.
    static func guarantee(in card: ModelCard?, path: String) throws -> DPGuaranteeInfo? {
        guard let recipe = card?.trainingRecipe, recipe["dp_epsilon"] != nil || recipe["dp_delta"] != nil else { return nil }
        guard case .number(let epsilon)? = recipe["dp_epsilon"], case .number(let delta)? = recipe["dp_delta"],
              epsilon >= 0, epsilon.isFinite, delta >= 0, delta < 1 else {
            throw ToolError.badInput("the model card of \(path) has dp_epsilon \(recipe["dp_epsilon"].map { "\($0)" } ?? "missing") and dp_delta "
                + "\(recipe["dp_delta"].map { "\($0)" } ?? "missing"); a DP claim needs both, ε ≥ 0 and δ in [0, 1): fix or retrain it")
        }
        return DPGuaranteeInfo(epsilon: epsilon, delta: delta)
    }

    /// Every attack's worst point against `guarantee` (Kairouz et al.: TPR ≤ e^ε·FPR + δ), or "not applicable".
    static func run(_ curves: [(name: String, curve: ROCCurve)], guarantee: DPGuaranteeInfo?) throws -> DPAuditResult {
        guard let guarantee else {
            return DPAuditResult(status: .notApplicable, confidence: confidence, violations: [],
                                 detail: "not applicable: the model card claims no (ε, δ) differential-privacy guarantee")
        }
        var violations: [DPViolationInfo] = []
        for (name, curve) in curves {
            guard let v = try curve.worstDPViolation(epsilon: guarantee.epsilon, delta: guarantee.delta, confidence: confidence) else { continue }
            violations.append(DPViolationInfo(attack: name, fpr: v.point.fpr, tpr: v.point.tpr, tprLow: v.tprLow, fprHigh: v.fprHigh,
                                              excess: v.excess, epsilonLowerBound: v.epsilonLowerBound))
        }
        let claim = "ε = \(guarantee.epsilon), δ = \(guarantee.delta)"
        guard let worst = violations.max(by: { $0.epsilonLowerBound < $1.epsilonLowerBound }) else {
            return DPAuditResult(status: .passed, confidence: confidence, violations: [],
                                 detail: "no point of \(curves.map(\.name).joined(separator: ", ")) breaks TPR ≤ e^ε·FPR + δ at \(claim) (95 % Clopper–Pearson bounds)")
        }
        return DPAuditResult(status: .failed, confidence: confidence, violations: violations,
                             detail: "\(worst.attack) reaches TPR \(short(worst.tpr)) (lower bound \(short(worst.tprLow))) at FPR \(short(worst.fpr)) "
                                + "(upper bound \(short(worst.fprHigh))), above e^ε·FPR + δ for the claimed \(claim): the data prove ε ≥ \(short(worst.epsilonLowerBound))")
    }

    private static func short(_ x: Double) -> String { String(format: "%.4g", x) }
}
