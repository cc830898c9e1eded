import Foundation
import Reports
import Workflow

/// The terminal summary of a privacy run: one row per attack, AUC and TPR at 0.1 % and 1 % FPR with their
/// Clopper–Pearson 95 % intervals, then the DP audit's line.
///
/// ```
/// attack  AUC     TPR@0.1%FPR                TPR@1%FPR
/// loss    0.5312  0.20% [0.11%, 0.34%]       1.31% [1.10%, 1.55%]
/// DP audit: not applicable: the model card claims no (ε, δ) differential-privacy guarantee
/// ```
public enum PrivacyTable {
    public static func render(_ results: PrivacyResults) -> String {
        let header = ["attack", "AUC"] + PrivacyResults.reportedFPRs.map { "TPR@\(percent($0, digits: 1))FPR" }
        var rows = [header]
        for attack in results.attacks {
            rows.append([attack.name, String(format: "%.4f", attack.auc)] + PrivacyResults.reportedFPRs.map { fpr in
                attack.operatingPoint(atFPR: fpr).map { "\(percent($0.tpr)) [\(percent($0.tprLow)), \(percent($0.tprHigh))]" } ?? "-"
            })
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max()! }
        var lines = rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        lines.append("DP audit: \(results.audit.detail)")
        return lines.joined(separator: "\n")
    }

    private static func percent(_ x: Double, digits: Int = 2) -> String {
        var text = String(format: "%.\(digits)f", 100 * x)
        if digits == 1, text.hasSuffix(".0") { text.removeLast(2) }
        return text + "%"
    }

    /// The error a failed audit ends the command with (exit 1, after the folder is written); nil otherwise.
    public static func auditFailure(_ results: PrivacyResults) -> ToolError? {
        guard results.audit.status == .failed else { return nil }
        return .gateFailed("privacy audit FAILED: \(results.audit.detail); the accountant, the clipping or the noise is wrong")
    }
}
