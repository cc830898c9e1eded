import Metrics

extension RunReport {
    /// One bar chart per norm at that norm's chosen ε (see `RunResults.perClassEpsilon`), worst case over attacks.
    static func perClass(_ r: RunResults, requested: Double?) -> String {
        var out = "<p class=\"lead\">Worst case over attacks, from the per-sample records: a sample counts as robust only if "
        out += "it is classified correctly under every attack at this ε. The pale bar is the class's clean accuracy.</p>\n"
        var charts = 0
        for norm in r.norms {
            guard let eps = r.perClassEpsilon(norm: norm, requested: requested) else { continue }
            let classes = r.perClassAccuracy(norm: norm, eps: eps)
            guard !classes.isEmpty else { continue }
            out += "<h3>\(escapeHTML(normLabel(norm))) at ε = \(Format.eps(eps))</h3>\n"
            out += BarChart(classes: classes, color: Palette.color(0)).svg()
            charts += 1
        }
        return charts == 0 ? "<p class=\"note\">No per-sample records in these results.</p>\n" : out
    }
}
