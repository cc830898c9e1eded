import Metrics

/// One line of a robustness–accuracy plot: its points, label and stroke.
struct LineSeries {
    /// Shown in the legend and the hover titles (raw text; escaped when drawn).
    var label: String
    var color: String
    var strokeWidth: Double
    /// An SVG `stroke-dasharray`, nil for a solid line.
    var dash: String?
    /// Sorted by epsilon.
    var points: [CurvePoint]
    /// Whether to draw the Wilson band (a comparison draws only the worst cases', to stay readable).
    var showsBand = true
}

/// A robustness–accuracy plot as inline SVG: ε on x, robust accuracy (0–100 %) on y, one line
/// per series with its Wilson 95 % band as a translucent polygon, a circle per point whose
/// `<title>` gives the values on hover, axes with ticks, and a legend on the right.
///
/// Plain SVG without scripts, so it reads the same with JavaScript off and in print.
struct LineChart {
    var norm: String
    var series: [LineSeries]
    /// The interval where the true robust accuracy lies, shaded: between the attacks' upper bound and the
    /// certified lower bound, at the ε both have.
    var gap: (upper: [CurvePoint], lower: [CurvePoint])?

    private let plotLeft = 64.0, plotTop = 16.0, plotWidth = 480.0, plotHeight = 300.0
    private let legendLeft = 572.0, legendRow = 20.0, width = 800.0

    init(norm: String, series: [LineSeries], gap: (upper: [CurvePoint], lower: [CurvePoint])? = nil) {
        self.norm = norm
        self.series = series
        self.gap = gap
    }

    func svg() -> String {
        let maxEps = series.flatMap(\.points).map(\.eps).max() ?? 0
        let xTicks = Ticks.upTo(maxEps)
        let x = LinearScale(domain: (0, xTicks.last!), range: (plotLeft, plotLeft + plotWidth))
        let y = LinearScale(domain: (0, 1), range: (plotTop + plotHeight, plotTop))
        let height = max(plotTop + plotHeight + 56, plotTop + legendRow * Double(series.count) + 16)
        let norm = escapeHTML(normLabel(self.norm))
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(svgNumber(width)) \(svgNumber(height))" \
        role="img" aria-label="Robust accuracy against epsilon, \(norm)">\n
        """
        out += axes(x: x, y: y, xTicks: xTicks, norm: norm)
        out += shadedGap(x: x, y: y)
        for s in series { out += band(s, x: x, y: y) }
        for s in series { out += line(s, x: x, y: y) }
        out += legend()
        return out + "</svg>\n"
    }

    /// Grid lines, tick labels and axis titles.
    private func axes(x: LinearScale, y: LinearScale, xTicks: [Double], norm: String) -> String {
        let bottom = plotTop + plotHeight, right = plotLeft + plotWidth
        var out = "<g class=\"axes\">\n"
        for tick in stride(from: 0.0, through: 1.0001, by: 0.2) {
            let ty = svgNumber(y(tick))
            out += "<line class=\"grid\" x1=\"\(svgNumber(plotLeft))\" y1=\"\(ty)\" x2=\"\(svgNumber(right))\" y2=\"\(ty)\"/>"
            out += "<text class=\"tick\" x=\"\(svgNumber(plotLeft - 8))\" y=\"\(ty)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(Int((tick * 100).rounded()))%</text>\n"
        }
        for tick in xTicks {
            let tx = svgNumber(x(tick))
            out += "<line class=\"grid\" x1=\"\(tx)\" y1=\"\(svgNumber(plotTop))\" x2=\"\(tx)\" y2=\"\(svgNumber(bottom))\"/>"
            out += "<text class=\"tick\" x=\"\(tx)\" y=\"\(svgNumber(bottom + 18))\" text-anchor=\"middle\">\(Format.decimal(tick))</text>\n"
        }
        out += "<rect class=\"frame\" x=\"\(svgNumber(plotLeft))\" y=\"\(svgNumber(plotTop))\" width=\"\(svgNumber(plotWidth))\" height=\"\(svgNumber(plotHeight))\"/>\n"
        out += "<text class=\"label\" x=\"\(svgNumber(plotLeft + plotWidth / 2))\" y=\"\(svgNumber(bottom + 42))\" text-anchor=\"middle\">ε (\(norm), pixel units)</text>\n"
        out += "<text class=\"label\" transform=\"translate(16 \(svgNumber(plotTop + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">Robust accuracy</text>\n"
        return out + "</g>\n"
    }

    /// The gap between the upper and lower bound lines as one polygon (upper left to right, lower back).
    private func shadedGap(x: LinearScale, y: LinearScale) -> String {
        guard let gap else { return "" }
        let lowerByEps = Dictionary(gap.lower.map { ($0.eps, $0.robustAcc) }, uniquingKeysWith: { a, _ in a })
        let shared = gap.upper.compactMap { point in lowerByEps[point.eps].map { (eps: point.eps, upper: point.robustAcc, lower: $0) } }
        guard shared.count > 1 else { return "" }
        let upper = shared.map { "\(svgNumber(x($0.eps))),\(svgNumber(y($0.upper)))" }
        let lower = shared.reversed().map { "\(svgNumber(x($0.eps))),\(svgNumber(y($0.lower)))" }
        return "<polygon class=\"gap\" fill=\"\(Palette.certified)\" fill-opacity=\"0.12\" points=\"\((upper + lower).joined(separator: " "))\">"
            + "<title>the true robust accuracy lies in this band: above the certified lower bound, below the attacks' upper bound</title></polygon>\n"
    }

    /// The Wilson interval as a polygon: upper bounds left to right, then lower bounds back.
    private func band(_ s: LineSeries, x: LinearScale, y: LinearScale) -> String {
        guard s.showsBand, s.points.count > 1 else { return "" }
        let upper = s.points.map { "\(svgNumber(x($0.eps))),\(svgNumber(y($0.ciHigh)))" }
        let lower = s.points.reversed().map { "\(svgNumber(x($0.eps))),\(svgNumber(y($0.ciLow)))" }
        return "<polygon class=\"band\" fill=\"\(s.color)\" points=\"\((upper + lower).joined(separator: " "))\"><title>\(escapeHTML(s.label)): 95% interval</title></polygon>\n"
    }

    /// The line and its points, each point with a hover title.
    private func line(_ s: LineSeries, x: LinearScale, y: LinearScale) -> String {
        let label = escapeHTML(s.label)
        let coordinates = s.points.map { "\(svgNumber(x($0.eps))),\(svgNumber(y($0.robustAcc)))" }
        var out = "<g class=\"series\">\n<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"\(svgNumber(s.strokeWidth))\"\(dashAttribute(s)) points=\"\(coordinates.joined(separator: " "))\"/>\n"
        for p in s.points {
            out += "<circle cx=\"\(svgNumber(x(p.eps)))\" cy=\"\(svgNumber(y(p.robustAcc)))\" r=\"\(svgNumber(s.strokeWidth + 1.5))\" fill=\"\(s.color)\">"
            out += "<title>\(label) · ε = \(Format.eps(p.eps)) · robust accuracy \(Format.percent(p.robustAcc)) "
            out += "(95% CI \(Format.percent(p.ciLow))–\(Format.percent(p.ciHigh))) · n = \(p.n)</title></circle>\n"
        }
        return out + "</g>\n"
    }

    /// One row per series: a stroke sample and the label, cut to fit (the full label is the row's title).
    private func legend() -> String {
        var out = "<g class=\"legend\">\n"
        for (i, s) in series.enumerated() {
            let top = plotTop + 4 + Double(i) * legendRow
            let shown = s.label.count > 30 ? String(s.label.prefix(29)) + "…" : s.label
            out += "<g><title>\(escapeHTML(s.label))</title>"
            out += "<line x1=\"\(svgNumber(legendLeft))\" y1=\"\(svgNumber(top + 6))\" x2=\"\(svgNumber(legendLeft + 28))\" y2=\"\(svgNumber(top + 6))\" stroke=\"\(s.color)\" stroke-width=\"\(svgNumber(s.strokeWidth))\"\(dashAttribute(s))/>"
            out += "<text x=\"\(svgNumber(legendLeft + 36))\" y=\"\(svgNumber(top + 6))\" dominant-baseline=\"middle\">\(escapeHTML(shown))</text></g>\n"
        }
        return out + "</g>\n"
    }

    private func dashAttribute(_ s: LineSeries) -> String {
        s.dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
    }
}
