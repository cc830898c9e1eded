import Foundation

/// The HTML page of one `robust privacy` run, rendered from `PrivacyResults` alone: summary (model, index sets,
/// key figures), the log-log ROC, the attacks' table, the DP audit and LiRA's shadow models. Self-contained like
/// every report page (`HTMLPage`).
public enum PrivacyReport {
    public static func html(_ results: PrivacyResults) -> String {
        var sections: [(id: String, title: String, html: String)] = [
            ("summary", "Summary", summary(results)),
            ("roc", "ROC (log-log)", roc(results)),
            ("attacks", "Attacks", attackTable(results)),
            ("audit", "DP audit", audit(results)),
        ]
        let shadows = results.attacks.compactMap { $0.shadows.map { shadowTable($0) } }
        if !shadows.isEmpty { sections.append(("shadows", "Shadow models", shadows.joined())) }
        var body = ""
        for section in sections {
            let heading = section.id == "summary"
                ? "<h1>Membership-inference audit: \(escapeHTML(results.model.name))</h1>"
                : "<h2>\(escapeHTML(section.title))</h2>"
            body += "<section id=\"\(section.id)\">\n\(heading)\n\(section.html)</section>\n"
        }
        return HTMLPage(title: "robust privacy: \(results.model.name) on \(results.dataset)",
                        navigation: sections.map { ($0.id, $0.title) }, body: body).render()
    }

    static func summary(_ r: PrivacyResults) -> String {
        let model: [(String, String)] = [
            ("Name", escapeHTML(r.model.name)),
            ("Architecture", escapeHTML(r.model.architecture)),
            ("SHA-256", "<span class=\"mono\">\(escapeHTML(r.model.sha256))</span>"),
            ("File", "<span class=\"mono\">\(escapeHTML(r.model.path))</span>"),
            ("DP claim", r.dpGuarantee.map { "ε = \(Format.decimal($0.epsilon)), δ = \(Format.decimal($0.delta))" } ?? "none on the card"),
        ]
        var data: [(String, String)] = [
            ("Dataset", escapeHTML(r.dataset)),
            ("Members", "<code>\(escapeHTML(r.members.spec))</code> (\(Format.grouped(r.members.count)))"),
            ("Non-members", "<code>\(escapeHTML(r.nonMembers.spec))</code> (\(Format.grouped(r.nonMembers.count)))"),
        ]
        if let reference = r.reference {
            data.append(("Reference pool", "<code>\(escapeHTML(reference.spec))</code> (\(Format.grouped(reference.count)))"))
        }
        let run: [(String, String)] = [
            ("Date", escapeHTML(r.created)),
            ("Duration", Format.duration(r.seconds)),
            ("Seed", String(r.seed)),
            ("Tool version", escapeHTML(r.toolVersion)),
        ]
        var out = "<p class=\"lead\">How well an attacker who sees the model's outputs can tell the images it was trained on "
        out += "(members) from images it never saw (non-members). What matters is the true positive rate at a low false positive "
        out += "rate: a confident attack on a few images is a privacy leak even when the AUC is near 0.5.</p>\n<div class=\"meta\">\n"
        for (title, rows) in [("Model", model), ("Data", data), ("Run", run)] {
            out += "<div><h3>\(title)</h3><dl>\n"
            for (term, value) in rows { out += "<dt>\(term)</dt><dd>\(value)</dd>\n" }
            out += "</dl></div>\n"
        }
        out += "</div>\n<div class=\"figures\">\n"
        for attack in r.attacks {
            let low = attack.operatingPoint(atFPR: 0.001)
            out += "<div class=\"figure\"><div class=\"value\">\(low.map { Format.percent($0.tpr) } ?? "–")</div>"
            out += "<div class=\"what\">\(escapeHTML(attack.name)): TPR at 0.1% FPR (AUC \(fixed(attack.auc)))</div></div>\n"
        }
        out += "<div class=\"figure\"><div class=\"value\">\(escapeHTML(r.audit.status.rawValue))</div><div class=\"what\">DP audit</div></div>\n"
        return out + "</div>\n"
    }

    static func roc(_ r: PrivacyResults) -> String {
        let series = r.attacks.enumerated().map { i, attack in
            ROCSeries(label: "\(attack.name) (AUC \(fixed(attack.auc)))", color: Palette.color(i), points: attack.roc)
        }
        var out = "<p class=\"note\">Both axes are logarithmic; rates of 0 are drawn on the axis. Each line holds up to 2,000 "
        out += "exact points of the curve (all of them at low rates); roc.csv has them.</p>\n"
        out += ROCChart(series: series, members: r.members.count, nonMembers: r.nonMembers.count, guarantee: r.dpGuarantee).svg()
        return out
    }

    static func attackTable(_ r: PrivacyResults) -> String {
        var out = "<table>\n<thead><tr><th>Attack</th><th class=\"num\">AUC</th>"
        for fpr in PrivacyResults.reportedFPRs { out += "<th class=\"num\">TPR at \(Format.decimal(fpr * 100))% FPR (95% CI)</th>" }
        out += "</tr></thead>\n<tbody>\n"
        for attack in r.attacks {
            out += "<tr><td>\(escapeHTML(attack.name))</td><td class=\"num\">\(fixed(attack.auc))</td>"
            for fpr in PrivacyResults.reportedFPRs {
                let p = attack.operatingPoint(atFPR: fpr)
                out += "<td class=\"num\">" + (p.map { "\(Format.percent($0.tpr)) (\(Format.percent($0.tprLow))–\(Format.percent($0.tprHigh)))" } ?? "–") + "</td>"
            }
            out += "</tr>\n"
        }
        out += "</tbody>\n</table>\n"
        out += "<p class=\"note\">loss: the target's cross-entropy, lower means member (Yeom et al. 2018). lira: offline LiRA "
        out += "(Carlini et al. 2022): each image's logit-scaled confidence under the target against a Gaussian fitted to it under "
        out += "shadow models that never saw it.</p>\n"
        return out
    }

    static func audit(_ r: PrivacyResults) -> String {
        let badge = r.audit.status == .failed ? "fail" : "pass"
        var out = "<p><span class=\"badge \(badge)\">\(escapeHTML(r.audit.status.rawValue.uppercased()))</span> \(escapeHTML(r.audit.detail))</p>\n"
        guard !r.audit.violations.isEmpty else { return out }
        out += "<table>\n<thead><tr><th>Attack</th><th class=\"num\">FPR (upper)</th><th class=\"num\">TPR (lower)</th>"
        out += "<th class=\"num\">ε proven at least</th></tr></thead>\n<tbody>\n"
        for v in r.audit.violations {
            out += "<tr><td>\(escapeHTML(v.attack))</td><td class=\"num\">\(Format.decimal(v.fpr)) (\(Format.decimal(v.fprHigh)))</td>"
            out += "<td class=\"num\">\(Format.decimal(v.tpr)) (\(Format.decimal(v.tprLow)))</td><td class=\"num\">\(Format.decimal(v.epsilonLowerBound))</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    static func shadowTable(_ s: ShadowSummary) -> String {
        var out = "<p class=\"note\">\(s.models.count) shadow models trained with the target's recipe on \(Format.grouped(s.trainingSamples)) "
        out += "images each, drawn from \(escapeHTML(s.pool)); variance \(escapeHTML(s.variance)).</p>\n"
        out += "<table>\n<thead><tr><th class=\"num\">#</th><th class=\"num\">Subset seed</th><th class=\"num\">Training seed</th>"
        out += "<th class=\"num\">Train accuracy</th><th class=\"num\">Train loss</th><th class=\"num\">Time</th></tr></thead>\n<tbody>\n"
        for m in s.models {
            out += "<tr><td class=\"num\">\(m.index)</td><td class=\"num\">\(m.subsetSeed)</td><td class=\"num\">\(m.trainingSeed)</td>"
            out += "<td class=\"num\">\(Format.percent(m.trainAccuracy))</td><td class=\"num\">\(fixed(m.trainLoss))</td>"
            out += "<td class=\"num\">\(Format.duration(m.seconds))</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    private static func fixed(_ value: Double) -> String { String(format: "%.4f", value) }
}
