import Metrics

/// The HTML report of one run, rendered from its `RunResults` alone (never from tensors), so
/// `robust report` can re-render any results.json later.
///
/// Sections, in order: summary (model, dataset, run, key figures), curves (one SVG plot per
/// norm), curve-table, attacks (full parameters), per-class (SVG bars at one ε per norm),
/// gallery (clean, adversarial, amplified perturbation) and checks (validity checks).
public enum RunReport {
    /// The page. `perClassEps` picks the per-class chart's ε: the grid's ε closest to it, or,
    /// when nil, the one closest to the middle of each norm's grid.
    public static func html(_ results: RunResults, perClassEps: Double? = nil) -> String {
        let sections: [(id: String, title: String, html: String)] = [
            ("summary", "Summary", summary(results, perClassEps: perClassEps)),
            ("curves", "Robustness–accuracy curves", curves(results)),
            ("curve-table", "Curve data", curveTable(results)),
            ("attacks", "Attacks", attacks(results)),
            ("per-class", "Per-class robust accuracy", perClass(results, requested: perClassEps)),
            ("gallery", "Adversarial examples", gallery(results)),
            ("checks", "Validity checks", checks(results)),
        ]
        var body = ""
        for section in sections {
            let heading = section.id == "summary"
                ? "<h1>Robustness report: \(escapeHTML(results.model.name))</h1>"
                : "<h2>\(escapeHTML(section.title))</h2>"
            body += "<section id=\"\(section.id)\">\n\(heading)\n\(section.html)</section>\n"
        }
        let page = HTMLPage(title: "robust: \(results.model.name) on \(results.dataset.name)",
                            navigation: sections.map { ($0.id, $0.title) }, body: body)
        return page.render()
    }

    /// Model, dataset and run facts, then the key figures: clean accuracy, worst-case robust
    /// accuracy per norm at the per-class ε, and the checks' verdicts.
    static func summary(_ r: RunResults, perClassEps: Double?) -> String {
        var model: [(String, String)] = [
            ("Name", escapeHTML(r.model.name)),
            ("Architecture", escapeHTML(r.model.architecture)),
            ("Parameters", Format.grouped(r.model.parameters)),
            ("Card clean accuracy", r.model.cardCleanAccuracy.map(Format.percent) ?? "not recorded"),
            ("SHA-256", "<span class=\"mono\">\(escapeHTML(r.model.sha256))</span>"),
            ("File", "<span class=\"mono\">\(escapeHTML(r.model.path))</span>"),
        ]
        if r.model.format == "onnx" {
            model.append(("ONNX", "opset \(r.model.opset ?? 0), " + escapeHTML(r.model.producer ?? "producer not recorded")))
            let ops = (r.model.opHistogram ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            model.append(("Operators", escapeHTML(ops.joined(separator: ", "))))
        }
        for note in r.model.notes ?? [] { model.append(("Note", escapeHTML(note))) }
        let dataset: [(String, String)] = [
            ("Name", escapeHTML(r.dataset.name)),
            ("Split", escapeHTML(r.dataset.split)),
            ("Samples", Format.grouped(r.dataset.indices.count)),
            ("Indices", Format.indexRanges(r.dataset.indices)),
            ("Input", "\(r.dataset.channels)×\(r.dataset.height)×\(r.dataset.width), \(r.dataset.classNames.count) classes"),
        ]
        let run: [(String, String)] = [
            ("Date", escapeHTML(r.created)),
            ("Duration", Format.duration(r.seconds)),
            ("Seed", String(r.seed)),
            ("Tool version", escapeHTML(r.toolVersion)),
            ("Threads, batch", "\(r.threads), \(r.batchSize)"),
        ]
        var out = "<div class=\"meta\">\n"
        for (title, rows) in [("Model", model), ("Dataset", dataset), ("Run", run)] {
            out += "<div><h3>\(title)</h3><dl>\n"
            for (term, value) in rows { out += "<dt>\(term)</dt><dd>\(value)</dd>\n" }
            out += "</dl></div>\n"
        }
        out += "</div>\n<div class=\"figures\">\n"
        out += figure(Format.percent(r.clean.accuracy),
                      "clean accuracy (\(r.clean.correct)/\(r.clean.n), 95% CI \(Format.percent(r.clean.ciLow))–\(Format.percent(r.clean.ciHigh)))")
        for norm in r.norms {
            guard let eps = r.perClassEpsilon(norm: norm, requested: perClassEps), let point = r.worstPoint(norm: norm, eps: eps) else { continue }
            out += figure(Format.percent(point.robustAcc),
                          "worst-case robust accuracy, \(escapeHTML(normLabel(norm))) ε = \(Format.eps(eps))")
        }
        let counts = [CheckStatus.fail, .warn, .pass].map { status in (status, r.checks.filter { $0.status == status }.count) }
        let verdict = counts.filter { $0.1 > 0 }.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        out += figure(verdict.isEmpty ? "none" : verdict, "validity checks")
        return out + "</div>\n"
    }

    private static func figure(_ value: String, _ what: String) -> String {
        "<div class=\"figure\"><div class=\"value\">\(value)</div><div class=\"what\">\(what)</div></div>\n"
    }
}
