/// The verdict as GitHub Actions workflow commands, printed to stdout so failures show up on the
/// run's page and in the pull request: `::error` for each failed test case, `::warning` for each
/// warning (a check that warned, a doubtful baseline).
extension GateVerdict {
    /// The annotation lines, or none unless `environment["GITHUB_ACTIONS"] == "true"` (set by GitHub's
    /// runners); the environment is a parameter so the behaviour is testable.
    public func githubAnnotations(environment: [String: String]) -> [String] {
        guard environment["GITHUB_ACTIONS"] == "true" else { return [] }
        var lines = failures.map { "::error title=robust gate::" + annotationEscaped($0.displayName + ": " + ($0.message.isEmpty ? $0.measuredText : $0.message)) }
        lines += cases.filter(\.warning).map { "::warning title=robust gate::" + annotationEscaped($0.displayName + ": " + $0.message) }
        lines += notes.filter(\.isWarning).map { "::warning title=robust gate::" + annotationEscaped($0.text) }
        return lines
    }
}

/// A workflow command's message escaped as GitHub's runner expects (`%`, CR and LF as %25, %0D, %0A).
func annotationEscaped(_ text: String) -> String {
    text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
}
