import Metrics
import Reports

/// A run compared with a baseline run, point by point: clean accuracy and every curve point
/// (attack id, norm, epsilon) both runs have.
///
/// A point fails when its accuracy dropped by more than `maxDrop`:
/// - plain: fails if `current.robust_acc < baseline.robust_acc - maxDrop`;
/// - `wilson`: fails only if `current.ci_high < baseline.robust_acc - maxDrop`, i.e. even the top of
///   the current run's Wilson 95 % interval is below the allowed level, so the drop is unlikely to be
///   sampling noise. (Clean accuracy likewise, with `clean.ci_high`.) Use it with small `--samples`.
///
/// A baseline of another model is the normal case (it is how a new model is gated) and only noted;
/// a baseline of other data or other attack parameters makes the comparison doubtful and is a warning.
struct GateBaseline {
    var current: RunResults
    var baseline: RunResults
    var baselineName: String
    var maxDrop: Double
    var wilson: Bool

    /// One test case for clean accuracy, then one per shared curve point in the baseline's order.
    func cases() -> [GateTestCase] {
        var cases = [compare(name: "clean", current: current.clean.accuracy, ciHigh: current.clean.ciHigh,
                             baseline: baseline.clean.accuracy)]
        for (old, new) in sharedPoints() {
            cases.append(compare(name: "\(old.attack):\(old.norm)@\(formatEpsilon(old.eps))", current: new.robustAcc,
                                 ciHigh: new.ciHigh, baseline: old.robustAcc))
        }
        return cases
    }

    /// Pairs of (baseline, current) points with the same attack id and norm and an epsilon within tolerance.
    func sharedPoints() -> [(CurvePoint, CurvePoint)] {
        baseline.curve.compactMap { old in match(old, in: current.curve).map { (old, $0) } }
    }

    private func match(_ point: CurvePoint, in curve: [CurvePoint]) -> CurvePoint? {
        curve.first { $0.attack == point.attack && $0.norm == point.norm && abs($0.eps - point.eps) <= GateRequirement.epsilonTolerance }
    }

    private func compare(name: String, current value: Double, ciHigh: Double, baseline old: Double) -> GateTestCase {
        let bound = old - maxDrop
        let judged = wilson ? ciHigh : value
        let passed = GateComparison.atLeast.holds(judged, bound)
        let measuredText = wilson ? "\(formatAccuracy(value)) (CI high \(formatAccuracy(ciHigh)))" : formatAccuracy(value)
        let requiredText = (wilson ? "CI high >= " : ">= ") + "\(formatAccuracy(bound)) (baseline \(formatAccuracy(old)) - \(formatAccuracy(maxDrop)))"
        let message = passed ? "" : wilson
            ? "dropped significantly from the baseline: \(formatAccuracy(value)), 95% interval up to \(formatAccuracy(ciHigh)), "
                + "below the baseline's \(formatAccuracy(old)) minus the allowed \(formatAccuracy(maxDrop))"
            : "dropped from the baseline's \(formatAccuracy(old)) to \(formatAccuracy(value)), "
                + "more than the allowed \(formatAccuracy(maxDrop))"
        return GateTestCase(kind: .baseline, name: name, passed: passed, message: message, measured: judged, threshold: bound,
                            measuredText: measuredText, requiredText: requiredText)
    }

    /// What a reader of the verdict should know about the comparison itself.
    func notes() -> [GateNote] {
        var notes: [GateNote] = []
        if current.model.sha256 != baseline.model.sha256 {
            notes.append(GateNote(isWarning: false, text: "the baseline \(baselineName) is of another model "
                + "(\(baseline.model.name) \(baseline.model.sha256.prefix(12)) vs this run's \(current.model.name) \(current.model.sha256.prefix(12)))"))
        }
        if let difference = dataDifference(baseline.dataset, current.dataset) {
            notes.append(GateNote(isWarning: true, text: "the baseline was evaluated on other data (\(difference)); "
                + "differences may be sampling, not robustness; re-run the baseline on the same samples"))
        }
        for run in current.attacks {
            guard let before = baseline.attacks.first(where: { $0.id == run.id }) else { continue }
            let keys = Set(run.parameters.keys).union(before.parameters.keys).filter { run.parameters[$0] != before.parameters[$0] }.sorted()
            if !keys.isEmpty || run.attack != before.attack {
                let changes = keys.map { "\($0) \(before.parameters[$0] ?? "unset") -> \(run.parameters[$0] ?? "unset")" }
                notes.append(GateNote(isWarning: true, text: "attack '\(run.id)' ran differently in the baseline"
                    + (run.attack != before.attack ? " (\(before.attack) -> \(run.attack))" : "")
                    + (changes.isEmpty ? "" : ": " + changes.joined(separator: ", "))))
            }
        }
        let lost = baseline.curve.filter { match($0, in: current.curve) == nil }
        if !lost.isEmpty {
            notes.append(GateNote(isWarning: true, text: "\(lost.count) baseline point(s) are not in this run and were not compared: "
                + lost.map { "\($0.attack):\($0.norm)@\(formatEpsilon($0.eps))" }.joined(separator: ", ")))
        }
        let added = current.curve.filter { match($0, in: baseline.curve) == nil }
        if !added.isEmpty {
            notes.append(GateNote(isWarning: false, text: "\(added.count) point(s) of this run are not in the baseline: "
                + added.map { "\($0.attack):\($0.norm)@\(formatEpsilon($0.eps))" }.joined(separator: ", ")))
        }
        return notes
    }

    /// How two runs' data differ, baseline first; nil when they evaluated the same samples.
    private func dataDifference(_ old: DatasetInfo, _ new: DatasetInfo) -> String? {
        if old.name != new.name || old.split != new.split {
            return "\(old.name) \(old.split) vs this run's \(new.name) \(new.split)"
        }
        if old.indices.count != new.indices.count {
            return "\(old.indices.count) samples vs this run's \(new.indices.count)"
        }
        return old.indices == new.indices ? nil : "the same number of samples, but other indices"
    }
}
