import Foundation
import Metrics

/// The curve as a plain-text table for the terminal: one row per epsilon, one column per attack
/// plus the worst case, accuracies in percent.
public enum CurveTable {
    public static func render(_ results: RunResults) -> String {
        var lines = ["\(results.model.name) on \(results.dataset.name) (\(results.clean.n) samples): clean accuracy "
                     + String(format: "%.2f %%", 100 * results.clean.accuracy)]
        for norm in Array(Set(results.curve.map(\.norm))).sorted() {
            let points = results.curve.filter { $0.norm == norm }
            var columns = results.attacks.filter { $0.norm == norm }.map(\.id)
            if columns.count > 1 { columns.append(CurvePoint.worstCase) }
            if points.contains(where: { $0.attack == CurvePoint.certified }) { columns.append(CurvePoint.certified) }
            let epsilons = Array(Set(points.map(\.eps))).sorted()
            let width = max(9, (columns.map(\.count).max() ?? 0) + 2)
            lines.append("")
            lines.append(pad("eps (\(norm))", 12) + columns.map { pad($0, width) }.joined())
            for eps in epsilons {
                var row = pad(String(format: "%.4g", eps), 12)
                for column in columns {
                    let point = points.first { $0.attack == column && $0.eps == eps }
                    row += pad(point.map { String(format: "%.2f %%", 100 * $0.robustAcc) } ?? "-", width)
                }
                lines.append(row)
            }
        }
        let failing = results.checks.filter { $0.status != .pass }
        lines.append("")
        lines.append("validity checks: \(results.checks.count - failing.count)/\(results.checks.count) pass"
                     + failing.map { "; \($0.status.rawValue.uppercased()) \($0.id): \($0.detail)" }.joined())
        return lines.joined(separator: "\n")
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
