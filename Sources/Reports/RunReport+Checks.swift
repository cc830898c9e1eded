import Metrics

extension RunReport {
    /// The validity checks with a PASS / WARN / FAIL badge, what was measured and what to do.
    static func checks(_ r: RunResults) -> String {
        guard !r.checks.isEmpty else { return "<p class=\"note\">No validity checks in these results.</p>\n" }
        var out = "<p class=\"lead\">Whether this evaluation can be trusted: a robust accuracy is only an upper bound "
        out += "if the attacks worked as intended (no gradient masking, converged, within bounds).</p>\n"
        out += "<table>\n<thead><tr><th>Status</th><th>Check</th><th>Detail</th><th>Advice</th></tr></thead>\n<tbody>\n"
        for check in r.checks {
            let status = check.status.rawValue
            out += "<tr><td><span class=\"badge \(status)\">\(status.uppercased())</span></td>"
            out += "<td><b>\(escapeHTML(check.title))</b><br><code>\(escapeHTML(check.id))</code></td>"
            out += "<td>\(escapeHTML(check.detail))</td><td>\(escapeHTML(check.advice))</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }
}
