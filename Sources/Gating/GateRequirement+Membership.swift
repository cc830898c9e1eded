import Reports
import Workflow

/// A membership-inference figure a gate can bound.
public enum MembershipMetric: Equatable, Sendable {
    /// The attack's ROC AUC (0.5 is guessing).
    case auc
    /// The attack's TPR at this FPR (one of `PrivacyResults.reportedFPRs`).
    case tpr(fpr: Double)
}

/// Requirements on `robust privacy` runs: `mia-auc<=0.6`, `mia-tpr@0.001<=0.05`, `mia-tpr[lira]@0.001<=5%`.
extension GateRequirement {
    /// Parses the target of a `mia-…` requirement: `mia-auc` or `mia-tpr@FPR`, each optionally with `[ATTACK]`.
    static func parseMembershipTarget(_ text: String, malformed: (String) -> ToolError) throws -> Target {
        let sides = text.split(separator: "@", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var name = sides[0].lowercased()
        var attack: String?
        if let open = name.firstIndex(of: "["), name.hasSuffix("]") {
            attack = String(name[name.index(after: open)..<name.index(before: name.endIndex)]).trimmingCharacters(in: .whitespaces)
            name = String(name[..<open])
            guard attack?.isEmpty == false else { throw malformed("names no attack inside [ ]; write e.g. mia-tpr[lira]@0.001") }
        }
        switch (name, sides.count) {
        case ("mia-auc", 1):
            return .membership(.auc, attack: attack)
        case ("mia-tpr", 2):
            guard let fpr = Double(sides[1]), fpr > 0, fpr < 1 else {
                throw malformed("has '\(sides[1])' as its false positive rate, not a number in (0, 1) such as 0.001")
            }
            return .membership(.tpr(fpr: fpr), attack: attack)
        default:
            throw malformed("names '\(text)', which is neither mia-auc[ATTACK] nor mia-tpr[ATTACK]@FPR")
        }
    }

    /// The test case for this requirement on a privacy run. A requirement on an attack curve or clean accuracy
    /// fails (a privacy run has neither); so does an attack or FPR the run does not have, with what it has.
    public func evaluate(on privacy: PrivacyResults) -> GateTestCase {
        let required = "\(comparison.rawValue) \(formatAccuracy(threshold))"
        func missing(_ why: String) -> GateTestCase {
            GateTestCase(kind: .requirement, name: text, passed: false, message: why, threshold: threshold,
                         measuredText: "not in run", requiredText: required)
        }
        guard case let .membership(metric, attackName) = target else {
            return missing("\(text) judges a robust eval run's results.json; this run has only privacy.json (membership inference)")
        }
        let attacks = attackName.map { name in privacy.attacks.filter { $0.name == name } } ?? privacy.attacks
        guard !attacks.isEmpty else {
            return missing("the privacy run has no attack '\(attackName ?? "")'; it has \(privacy.attacks.map(\.name).joined(separator: ", "))")
        }
        var values: [(attack: String, value: Double)] = []
        for attack in attacks {
            switch metric {
            case .auc:
                values.append((attack.name, attack.auc))
            case .tpr(let fpr):
                guard let point = attack.operatingPoint(atFPR: fpr) else {
                    let rates = PrivacyResults.reportedFPRs.map { "\($0)" }.joined(separator: ", ")
                    return missing("privacy.json records TPR at FPR \(rates), not \(fpr)")
                }
                values.append((attack.name, point.tpr))
            }
        }
        // The worst case for privacy is the attack that does best.
        let worst = values.max { $0.value < $1.value }!
        let passed = comparison.holds(worst.value, threshold)
        let measuredText = formatAccuracy(worst.value) + (attackName == nil ? " (\(worst.attack))" : "")
        return GateTestCase(kind: .requirement, name: text, passed: passed,
                            message: passed ? "" : "measured \(measuredText), required \(required)",
                            measured: worst.value, threshold: threshold, measuredText: measuredText, requiredText: required)
    }
}
