import Metrics
import Reports
import Workflow

/// Judging a run: the pure part of the gate, from results to verdict (no files, no output).
extension GateVerdict {
    /// Judges `results` against `config`: every requirement, every point shared with `baseline`
    /// (when there is one) and every validity check of the run.
    ///
    /// - Parameters:
    ///   - run: how the user named the run, for reports.
    ///   - baseline: the baseline's results and how the user named it; nil when `config` has none.
    ///   - privacy: the run folder's privacy.json, if it has one: it answers the `mia-*` requirements and adds
    ///     its DP audit as a check.
    /// - Throws: `ToolError.usage` for a requirement that cannot be judged as written (an ambiguous norm).
    public static func judge(_ results: RunResults, run: String, config: GateConfig,
                             baseline: (results: RunResults, name: String)? = nil, privacy: PrivacyResults? = nil) throws -> GateVerdict {
        var cases = try config.requirements.map { requirement in
            if case .membership = requirement.target, let privacy { return requirement.evaluate(on: privacy) }
            return try requirement.evaluate(on: results)
        }
        var notes: [GateNote] = []
        if let baseline {
            let comparison = GateBaseline(current: results, baseline: baseline.results, baselineName: baseline.name,
                                                maxDrop: config.effectiveMaxDrop, wilson: config.effectiveWilson)
            cases += comparison.cases()
            notes += comparison.notes()
        }
        cases += results.checks.map { checkCase($0, failOn: config.effectiveFailOn) }
        if let privacy { cases.append(checkCase(privacy.auditCheck, failOn: config.effectiveFailOn)) }
        return GateVerdict(run: run, modelName: results.model.name, modelSHA256: results.model.sha256,
                           baseline: baseline?.name, cases: cases, notes: notes)
    }

    /// A validity check as a test case: it fails when its status reaches `failOn`, and a warning
    /// that does not fail is still flagged so people see it.
    static func checkCase(_ check: ValidityCheck, failOn: GateFailOn) -> GateTestCase {
        let passed: Bool
        let required: String
        switch failOn {
        case .warn: passed = check.status < .warn; required = "status pass"
        case .fail: passed = check.status < .fail; required = "status pass or warn"
        case .never: passed = true; required = "any status (--fail-on never)"
        }
        let flagged = check.status != .pass
        let detail = check.detail.hasSuffix(".") ? check.detail : check.detail + "."
        let message = flagged ? "\(check.title): \(check.status.rawValue): \(detail) \(check.advice)" : ""
        return GateTestCase(kind: .check, name: check.id, passed: passed, warning: passed && flagged, message: message,
                            measuredText: "status \(check.status.rawValue)", requiredText: required)
    }
}
