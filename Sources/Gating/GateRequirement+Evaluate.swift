import Metrics
import Reports
import Workflow

/// Judging a requirement against a run.
extension GateRequirement {
    /// Epsilons match within this distance: results.json rounds grids to 1e-9 and users write
    /// `8/255` or `0.0314`; a millionth is far finer than any two epsilons of a real grid.
    public static let epsilonTolerance = 1e-6

    /// The test case for this requirement on `results`.
    ///
    /// An attack, norm or epsilon the run does not have is a failed test case (not an error), so CI
    /// shows it with the rest and its message lists what the run has. An attack id that ran at two
    /// norms with no norm given is a usage error: the requirement itself must be fixed.
    public func evaluate(on results: RunResults) throws -> GateTestCase {
        let required = "\(comparison.rawValue) \(formatAccuracy(threshold))"
        func missing(_ why: String) -> GateTestCase {
            GateTestCase(kind: .requirement, name: text, passed: false, message: why, threshold: threshold,
                         measuredText: "not in run", requiredText: required)
        }
        let measured: Double
        switch target {
        case .clean:
            measured = results.clean.accuracy
        case let .curve(attack, norm, eps):
            let ofAttack = results.curve.filter { $0.attack == attack }
            guard !ofAttack.isEmpty else {
                return missing("the run has no attack '\(attack)'; it has \(Self.available(in: results.curve))")
            }
            let norms = Set(ofAttack.map(\.norm)).sorted()
            let chosenNorm: String
            if let norm {
                guard norms.contains(norm) else {
                    return missing("attack '\(attack)' ran at \(norms.joined(separator: ", ")), not \(norm)")
                }
                chosenNorm = norm
            } else {
                guard norms.count == 1 else {
                    throw ToolError.usage("requirement '\(text)' is ambiguous: attack '\(attack)' ran at norms \(norms.joined(separator: " and ")); "
                        + "name one, e.g. \(attack):\(norms[0])@\(formatEpsilon(eps))")
                }
                chosenNorm = norms[0]
            }
            let atNorm = ofAttack.filter { $0.norm == chosenNorm }
            guard let point = atNorm.first(where: { abs($0.eps - eps) <= Self.epsilonTolerance }) else {
                let grid = atNorm.map { formatEpsilon($0.eps) }.joined(separator: ", ")
                return missing("attack '\(attack)' (\(chosenNorm)) has no point at epsilon \(formatEpsilon(eps)); its epsilons are \(grid)")
            }
            measured = point.robustAcc
        case .membership:
            return missing("\(text) judges a membership-inference audit; this run has no privacy.json (run `robust privacy --out` into its folder)")
        }
        let passed = comparison.holds(measured, threshold)
        return GateTestCase(kind: .requirement, name: text, passed: passed,
                            message: passed ? "" : "measured \(formatAccuracy(measured)), required \(required)",
                            measured: measured, threshold: threshold, measuredText: formatAccuracy(measured), requiredText: required)
    }

    /// The attacks of a curve with their norms, e.g. `fgsm (linf), pgd (l2, linf), worst (l2, linf)`.
    static func available(in curve: [CurvePoint]) -> String {
        var norms: [String: Set<String>] = [:]
        for point in curve { norms[point.attack, default: []].insert(point.norm) }
        guard !norms.isEmpty else { return "no curve points at all (only clean>= requirements can be judged)" }
        return norms.keys.sorted().map { "\($0) (\(norms[$0]!.sorted().joined(separator: ", ")))" }.joined(separator: ", ")
    }
}
