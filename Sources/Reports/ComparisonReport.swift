import Foundation
import Metrics

/// One page comparing several runs (e.g. a standard and an adversarially trained model):
/// their curves overlaid per norm, a summary row per run, and each run's robust accuracy by
/// attack and ε. Rendered from the runs' `RunResults` alone.
///
/// Colour tells the runs apart and the stroke the attacks: the worst case is a thick solid
/// line, each attack a thin dashed one, so "blue below orange" reads at a glance.
public enum ComparisonReport {
    /// The page. `eps`, when given, picks the summary's ε per norm (the grid's ε closest to it);
    /// otherwise the ε closest to the middle of each run's grid.
    /// `privacy`: membership-inference runs (`robust privacy`) of the same models, shown in their own section
    /// in the colour of the evaluation run with the same weights (SHA-256).
    public static func html(_ runs: [RunResults], privacy: [PrivacyResults] = [], eps: Double? = nil) -> String {
        let names = runNames(runs)
        var sections: [(id: String, title: String, html: String)] = [
            ("summary", "Summary", summary(runs, names: names, eps: eps)),
            ("curves", "Robustness–accuracy curves", curves(runs, names: names)),
        ]
        if !privacy.isEmpty {
            sections.append(("privacy", "Membership inference", membership(privacy, runs: runs, names: names)))
        }
        sections.append(("runs", "Runs", runTables(runs, names: names)))
        var body = ""
        for section in sections {
            let heading = section.id == "summary"
                ? "<h1>Robustness comparison: \(escapeHTML(names.joined(separator: " vs ")))</h1>"
                : "<h2>\(escapeHTML(section.title))</h2>"
            body += "<section id=\"\(section.id)\">\n\(heading)\n\(section.html)</section>\n"
        }
        return HTMLPage(title: "robust: " + names.joined(separator: " vs "), navigation: sections.map { ($0.id, $0.title) },
                        body: body).render()
    }

    /// A row per privacy run and attack (AUC, TPR at the reported FPRs, the DP claim and its audit), and every
    /// attack's ROC on one log-log plot: what each model leaks beside how robust it is.
    static func membership(_ privacy: [PrivacyResults], runs: [RunResults], names: [String]) -> String {
        func color(_ p: PrivacyResults, _ k: Int) -> String {
            runs.firstIndex { $0.model.sha256.lowercased() == p.model.sha256.lowercased() }.map { Palette.color($0) }
                ?? Palette.color(runs.count + k)
        }
        var out = "<table>\n<thead><tr><th>Model</th><th>Attack</th><th class=\"num\">AUC</th>"
        for fpr in PrivacyResults.reportedFPRs { out += "<th class=\"num\">TPR at \(Format.decimal(fpr * 100))% FPR (95% CI)</th>" }
        out += "<th>DP claim</th><th>Audit</th></tr></thead>\n<tbody>\n"
        var series: [ROCSeries] = []
        for (k, p) in privacy.enumerated() {
            let model = URL(fileURLWithPath: p.model.name).deletingPathExtension().lastPathComponent
            let claim = p.dpGuarantee.map { "ε \(Format.decimal($0.epsilon)), δ \(Format.decimal($0.delta))" } ?? "none"
            for (j, attack) in p.attacks.enumerated() {
                out += "<tr><td><span class=\"swatch\" style=\"background:\(color(p, k))\"></span>\(escapeHTML(model))</td>"
                out += "<td>\(escapeHTML(attack.name))</td><td class=\"num\">\(String(format: "%.4f", attack.auc))</td>"
                for fpr in PrivacyResults.reportedFPRs {
                    let point = attack.operatingPoint(atFPR: fpr)
                    out += "<td class=\"num\">" + (point.map { "\(Format.percent($0.tpr)) (\(Format.percent($0.tprLow))–\(Format.percent($0.tprHigh)))" } ?? "–") + "</td>"
                }
                out += "<td>\(escapeHTML(claim))</td><td>\(escapeHTML(p.audit.status.rawValue))</td></tr>\n"
                series.append(ROCSeries(label: "\(model): \(attack.name) (AUC \(String(format: "%.3f", attack.auc)))",
                                        color: color(p, k), points: attack.roc, dash: j == 0 ? nil : Palette.dashes[j % Palette.dashes.count]))
            }
        }
        out += "</tbody>\n</table>\n"
        let members = privacy.map(\.members.count).min() ?? 1, nonMembers = privacy.map(\.nonMembers.count).min() ?? 1
        return out + ROCChart(series: series, members: members, nonMembers: nonMembers, guarantee: nil).svg()
    }

    /// Model names, numbered where two runs share one (`cnn #1`, `cnn #2`), so legend labels stay unique.
    static func runNames(_ runs: [RunResults]) -> [String] {
        let names = runs.map(\.model.name)
        var seen: [String: Int] = [:]
        return names.map { name in
            guard names.filter({ $0 == name }).count > 1 else { return name }
            seen[name, default: 0] += 1
            return "\(name) #\(seen[name]!)"
        }
    }

    /// A row per run: model, data, clean accuracy, worst case per norm at the chosen ε, checks.
    static func summary(_ runs: [RunResults], names: [String], eps: Double?) -> String {
        var out = "<table>\n<thead><tr><th>Run</th><th>Architecture</th><th>Dataset</th><th class=\"num\">n</th>"
        out += "<th class=\"num\">Clean</th><th>Worst-case robust accuracy</th><th>Checks</th><th>Date</th></tr></thead>\n<tbody>\n"
        for (i, r) in runs.enumerated() {
            let worst = r.norms.compactMap { norm -> String? in
                guard let e = r.perClassEpsilon(norm: norm, requested: eps), let p = r.worstPoint(norm: norm, eps: e) else { return nil }
                return "\(Format.percent(p.robustAcc)) at \(escapeHTML(normLabel(norm))) ε = \(Format.eps(e))"
            }
            let checks = [CheckStatus.fail, .warn, .pass].compactMap { status -> String? in
                let n = r.checks.filter { $0.status == status }.count
                return n == 0 ? nil : "<span class=\"badge \(status.rawValue)\">\(n) \(status.rawValue.uppercased())</span>"
            }
            out += "<tr><td><span class=\"swatch\" style=\"background:\(Palette.color(i))\"></span><b>\(escapeHTML(names[i]))</b></td>"
            out += "<td>\(escapeHTML(r.model.architecture))</td><td>\(escapeHTML(r.dataset.name)) \(escapeHTML(r.dataset.split))</td>"
            out += "<td class=\"num\">\(r.clean.n)</td><td class=\"num\">\(Format.percent(r.clean.accuracy))</td>"
            out += "<td>\(worst.isEmpty ? "–" : worst.joined(separator: "<br>"))</td><td>\(checks.joined(separator: " "))</td>"
            out += "<td>\(escapeHTML(r.created))</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    /// One plot per norm any run has, with every run's attacks and worst case.
    static func curves(_ runs: [RunResults], names: [String]) -> String {
        var norms: [String] = []
        for r in runs { for norm in r.norms where !norms.contains(norm) { norms.append(norm) } }
        var out = "<p class=\"lead\">Colour is the run; the thick solid line is its worst case over attacks, the dashed "
        out += "lines its individual attacks. Bands are the worst cases' Wilson 95% intervals.</p>\n"
        for norm in norms {
            var series: [LineSeries] = []
            for (i, r) in runs.enumerated() {
                for (j, id) in r.curveAttackIDs.enumerated() {
                    let points = r.curvePoints(attack: id, norm: norm)
                    if points.isEmpty { continue }
                    series.append(LineSeries(label: "\(names[i]): \(id)", color: Palette.color(i), strokeWidth: 1.5,
                                             dash: Palette.dashes[j % Palette.dashes.count], points: points, showsBand: false))
                }
                let worst = r.curvePoints(attack: CurvePoint.worstCase, norm: norm)
                if !worst.isEmpty {
                    series.append(LineSeries(label: "\(names[i]): \(CurvePoint.worstCase)", color: Palette.color(i),
                                             strokeWidth: 3, dash: nil, points: worst))
                }
            }
            out += "<h3>\(escapeHTML(normLabel(norm))) threat model</h3>\n" + LineChart(norm: norm, series: series).svg()
        }
        return norms.isEmpty ? "<p class=\"note\">No curve points in these runs.</p>\n" : out
    }

    /// Per run, robust accuracy with one row per attack and norm and one column per ε.
    static func runTables(_ runs: [RunResults], names: [String]) -> String {
        var out = ""
        for (i, r) in runs.enumerated() {
            out += "<h3><span class=\"swatch\" style=\"background:\(Palette.color(i))\"></span>\(escapeHTML(names[i]))</h3>\n"
            out += "<p class=\"note\">\(escapeHTML(r.model.architecture)), SHA-256 <span class=\"mono\">\(escapeHTML(String(r.model.sha256.prefix(16))))…</span>; "
            out += "\(escapeHTML(r.dataset.name)) \(escapeHTML(r.dataset.split)), \(r.clean.n) samples (\(Format.indexRanges(r.dataset.indices))); "
            out += "seed \(r.seed); robust \(escapeHTML(r.toolVersion)); \(escapeHTML(r.created)).</p>\n"
            for norm in r.norms {
                let grid = Array(Set(r.curve.filter { $0.norm == norm }.map(\.eps))).sorted()
                out += "<table>\n<thead><tr><th>Attack (\(escapeHTML(normLabel(norm))))</th>"
                out += grid.map { "<th class=\"num\">ε = \(Format.eps($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
                for id in r.curveAttackIDs + [CurvePoint.worstCase] {
                    let points = r.curvePoints(attack: id, norm: norm)
                    if points.isEmpty { continue }
                    let cells = grid.map { e -> String in
                        guard let p = points.first(where: { $0.eps == e }) else { return "<td class=\"num\">–</td>" }
                        return "<td class=\"num\" title=\"95% CI \(Format.percent(p.ciLow))–\(Format.percent(p.ciHigh))\">\(Format.percent(p.robustAcc))</td>"
                    }
                    let worst = id == CurvePoint.worstCase
                    out += "<tr\(worst ? " class=\"worst\"" : "")><td>\(escapeHTML(id))</td>\(cells.joined())</tr>\n"
                }
                out += "</tbody>\n</table>\n"
            }
        }
        return out
    }
}
