/// The verdict as Markdown (`--summary FILE`), for `$GITHUB_STEP_SUMMARY` or a merge-request
/// comment: a heading with the verdict, then one table per kind of test (requirements, baseline,
/// validity checks) and the notes.
extension GateVerdict {
    public func markdownSummary() -> String {
        var md = "## robust gate: " + (passed ? "✅ passed" : "❌ failed") + "\n\n"
        md += "Run `\(cell(run))`, model `\(cell(modelName))` (SHA-256 `\(modelSHA256.prefix(12))`)"
        md += (baseline.map { ", compared with `\(cell($0))`" } ?? "") + ". "
        md += passed ? "\(cases.count) test cases passed.\n" : "\(failures.count) of \(cases.count) test cases failed.\n"
        let sections: [(GateTestCase.Kind, String, String)] = [
            (.requirement, "Requirements", "Requirement"), (.baseline, "Baseline", "Point"), (.check, "Validity checks", "Check"),
        ]
        for (kind, title, column) in sections {
            let rows = cases.filter { $0.kind == kind }
            guard !rows.isEmpty else { continue }
            md += "\n### \(title)\n\n| | \(column) | Measured | Required |\(kind == .requirement ? "" : " Details |")\n"
            md += "|---|---|---|---|\(kind == .requirement ? "" : "---|")\n"
            for test in rows {
                let mark = !test.passed ? "❌" : test.warning ? "⚠️" : "✅"
                md += "| \(mark) | `\(cell(test.name))` | \(cell(test.measuredText)) | \(cell(test.requiredText)) |"
                md += kind == .requirement ? "\n" : " \(cell(test.message)) |\n"
            }
        }
        if !notes.isEmpty {
            md += "\n" + notes.map { "- " + ($0.isWarning ? "⚠️ **WARN** " : "") + cell($0.text) + "\n" }.joined()
        }
        return md
    }

    /// Text that stays inside one table cell: no pipes, no line breaks, no backticks breaking code spans.
    private func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "`", with: "'")
    }
}
