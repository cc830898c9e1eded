import Foundation
import Metrics
import Reports
import Workflow

/// Judging a `robust privacy` run (a folder with privacy.json and no results.json).
extension GateVerdict {
    /// Every requirement against the privacy run (`mia-*` ones are measured, others fail as not in the run) and
    /// its DP audit as the `dp-audit` check.
    ///
    /// - Throws: `ToolError.usage` for settings a privacy run cannot answer: a baseline, or nothing to judge.
    public static func judge(privacy: PrivacyResults, run: String, config: GateConfig) throws -> GateVerdict {
        guard config.baseline == nil else {
            throw ToolError.usage("--baseline compares robust eval runs, and \(run) is a robust privacy run (privacy.json); drop --baseline "
                + "and bound it with requirements such as --require 'mia-tpr@0.001<=0.05'")
        }
        if config.requirements.isEmpty, config.effectiveFailOn == .never {
            throw ToolError.usage("nothing to judge: \(run) is a privacy run whose DP audit cannot fail with --fail-on never; "
                + "give a requirement (--require 'mia-tpr@0.001<=0.05' or 'mia-auc<=0.6')")
        }
        let cases = config.requirements.map { $0.evaluate(on: privacy) } + [checkCase(privacy.auditCheck, failOn: config.effectiveFailOn)]
        return GateVerdict(run: run, modelName: privacy.model.name, modelSHA256: privacy.model.sha256, baseline: nil, cases: cases, notes: [])
    }
}

/// The privacy.json of a run folder (or the file itself when `runOrFile` names one), and whether a results.json
/// is there too; nil when there is no privacy.json. A corrupt privacy.json is bad input naming it.
func loadGatePrivacy(_ runOrFile: String) throws -> (privacy: PrivacyResults?, hasResults: Bool) {
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: runOrFile, isDirectory: &isDirectory)
    let namesPrivacyFile = exists && !isDirectory.boolValue && URL(fileURLWithPath: runOrFile).lastPathComponent == PrivacyResults.fileName
    guard isDirectory.boolValue || namesPrivacyFile else { return (nil, true) }
    let path = PrivacyResults.path(for: runOrFile)
    guard FileManager.default.fileExists(atPath: path) else { return (nil, true) }
    do {
        let privacy = try PrivacyResults.load(path: path)
        return (privacy, isDirectory.boolValue && FileManager.default.fileExists(atPath: RunResults.resultsPath(for: runOrFile)))
    } catch {
        throw ToolError.badInput("\(error)")
    }
}
