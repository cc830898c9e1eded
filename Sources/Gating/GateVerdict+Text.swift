/// The verdict for people, on stdout: one line per test case, notes, and a final verdict line.
///
/// ```
/// PASS  clean>=0.90               measured 0.9240               required >= 0.9000
/// FAIL  baseline pgd:linf@8/255   measured 0.3900               required >= 0.4100 (baseline 0.4300 - 0.0200)
///       dropped from the baseline's 0.4300 to 0.3900, more than the allowed 0.0200
/// gate FAILED: 1 of 2 test cases failed (baseline pgd:linf@8/255)
/// ```
extension GateVerdict {
    public func textLines() -> [String] {
        let nameWidth = cases.map { $0.displayName.count }.max() ?? 0
        let measuredWidth = cases.map { $0.measuredText.count }.max() ?? 0
        var lines: [String] = []
        for test in cases {
            let label = !test.passed ? "FAIL" : test.warning ? "WARN" : "PASS"
            lines.append("\(label)  \(pad(test.displayName, nameWidth))  measured \(pad(test.measuredText, measuredWidth))  required \(test.requiredText)")
            // A failed requirement's line already says it all; other messages explain something more.
            let explains = !test.message.isEmpty && !(test.kind == .requirement && test.measured != nil)
            if explains && (!test.passed || test.warning) { lines.append("      " + test.message) }
        }
        lines += notes.map { ($0.isWarning ? "warning: " : "note: ") + $0.text }
        lines.append(verdictLine)
        return lines
    }

    /// `gate passed: 7 test cases` or `gate FAILED: 2 of 7 test cases failed (a, b)`.
    public var verdictLine: String {
        let failed = failures
        if failed.isEmpty { return "gate passed: \(cases.count) test case\(cases.count == 1 ? "" : "s")" }
        return "gate FAILED: \(failed.count) of \(cases.count) test cases failed (\(failed.map(\.displayName).joined(separator: ", ")))"
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}

extension GateTestCase {
    /// The name with its kind for baseline comparisons and checks (`baseline clean`, `check zero-gradients`),
    /// so that one list reads unambiguously; requirements are their own text.
    public var displayName: String {
        kind == .requirement ? name : "\(kind.rawValue) \(name)"
    }
}
