import Metrics

/// The curve sections of a run report: plots, the table of every point, the attacks' parameters.
extension RunReport {
    /// One plot per norm: a line per attack in its palette colour, the worst case thick, dashed and black.
    static func curves(_ r: RunResults) -> String {
        let ids = r.curveAttackIDs
        var out = "<p class=\"lead\">Robust accuracy (correct after the attack) against the perturbation budget ε. "
        out += "Bands are Wilson 95% intervals; the black dashed line is the worst case over attacks "
        out += "(a sample counts only if it survives every attack). Hover a point for its values.</p>\n"
        if r.certification != nil {
            out += "<p class=\"lead\">The green line is <b>certified</b> accuracy (\(escapeHTML(r.certification!.methods.joined(separator: " + "))) bounds): "
            out += "a lower bound no attack can go below. The true robust accuracy lies in the shaded band between it and the attacks.</p>\n"
        }
        for norm in r.norms {
            var series = ids.enumerated().compactMap { i, id -> LineSeries? in
                let points = r.curvePoints(attack: id, norm: norm)
                guard id != CurvePoint.certified, !points.isEmpty else { return nil }
                return LineSeries(label: id, color: Palette.color(i), strokeWidth: 2, dash: nil, points: points)
            }
            let worst = r.curvePoints(attack: CurvePoint.worstCase, norm: norm)
            if !worst.isEmpty {
                series.append(LineSeries(label: "worst case", color: Palette.worst, strokeWidth: 3, dash: "7 4", points: worst))
            }
            let certified = r.curvePoints(attack: CurvePoint.certified, norm: norm)
            var gap: (upper: [CurvePoint], lower: [CurvePoint])?
            if !certified.isEmpty {
                series.append(LineSeries(label: "certified (lower bound)", color: Palette.certified, strokeWidth: 3, dash: nil, points: certified))
                let upper = worst.isEmpty ? ids.lazy.filter { $0 != CurvePoint.certified }.map { r.curvePoints(attack: $0, norm: norm) }.first { !$0.isEmpty } ?? [] : worst
                gap = (upper, certified)
            }
            out += "<h3>\(escapeHTML(normLabel(norm))) threat model</h3>\n" + LineChart(norm: norm, series: series, gap: gap).svg()
        }
        return r.norms.isEmpty ? "<p class=\"note\">No curve points in these results.</p>\n" : out
    }

    /// Every curve point in results.json's order; worst-case rows in bold.
    static func curveTable(_ r: RunResults) -> String {
        let colors = Dictionary(uniqueKeysWithValues: r.curveAttackIDs.enumerated().map { ($1, Palette.color($0)) })
        var out = "<p class=\"lead\">The same numbers are in <code>curve.csv</code> beside this page. "
        out += "Success rate is over the samples classified correctly before the attack; norms are of the successful perturbations.</p>\n"
        out += "<table>\n<thead><tr><th>Attack</th><th>Norm</th><th class=\"num\">ε</th><th class=\"num\">n</th>"
        out += "<th class=\"num\">Clean</th><th class=\"num\">Robust</th><th class=\"num\">95% CI</th><th class=\"num\">Success</th>"
        out += "<th class=\"num\">Median norm</th><th class=\"num\">Max norm</th><th class=\"num\">Queries</th><th class=\"num\">Time</th></tr></thead>\n<tbody>\n"
        for p in r.curve {
            let isWorst = p.attack == CurvePoint.worstCase
            let swatch = "<span class=\"swatch\" style=\"background:\(isWorst ? Palette.worst : colors[p.attack] ?? "#999")\"></span>"
            out += "<tr\(isWorst ? " class=\"worst\"" : "")><td>\(swatch)\(escapeHTML(p.attack))</td><td>\(escapeHTML(normLabel(p.norm)))</td>"
            out += "<td class=\"num\">\(Format.eps(p.eps))</td><td class=\"num\">\(p.n)</td>"
            out += "<td class=\"num\">\(Format.percent(p.cleanAcc))</td><td class=\"num\">\(Format.percent(p.robustAcc))</td>"
            out += "<td class=\"num\">\(Format.percent(p.ciLow))–\(Format.percent(p.ciHigh))</td><td class=\"num\">\(Format.percent(p.successRate))</td>"
            out += "<td class=\"num\">\(Format.decimal(p.medianNorm))</td><td class=\"num\">\(Format.decimal(p.maxNorm))</td>"
            out += "<td class=\"num\">\(isWorst ? "–" : Format.grouped(p.queries))</td><td class=\"num\">\(isWorst ? "–" : Format.duration(p.seconds))</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    /// Each attack as run, with every parameter (sorted by name), so the run can be reproduced from the page.
    static func attacks(_ r: RunResults) -> String {
        guard !r.attacks.isEmpty else { return "<p class=\"note\">No attacks ran.</p>\n" }
        let ids = r.curveAttackIDs
        var out = "<table>\n<thead><tr><th>Id</th><th>Attack</th><th>Norm</th><th>ε grid</th><th>Parameters</th>"
        out += "<th>Access</th><th class=\"num\">Time</th></tr></thead>\n<tbody>\n"
        for a in r.attacks {
            let color = ids.firstIndex(of: a.id).map(Palette.color) ?? "#999"
            let parameters = a.parameters.keys.sorted().map { "\(escapeHTML($0))=\(escapeHTML(a.parameters[$0]!))" }.joined(separator: ", ")
            out += "<tr><td><span class=\"swatch\" style=\"background:\(color)\"></span>\(escapeHTML(a.id))</td><td>\(escapeHTML(a.attack))</td>"
            out += "<td>\(escapeHTML(normLabel(a.norm)))</td><td>\(a.epsilons.map(Format.eps).joined(separator: ", "))</td>"
            out += "<td class=\"mono\">\(parameters.isEmpty ? "–" : parameters)</td><td>\(a.usesGradients ? "white-box (gradients)" : "black-box (scores)")</td>"
            out += "<td class=\"num\">\(Format.duration(a.seconds))</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }
}
