import Foundation

/// A base-10 logarithmic map from data values in [floor, 1] to SVG coordinates; values below the floor (an
/// FPR or TPR of 0) are drawn on it, at the axis edge, rather than dropped.
struct LogScale {
    var floor: Double
    var range: (Double, Double)

    func callAsFunction(_ value: Double) -> Double {
        let t = (log10(max(value, floor)) - log10(floor)) / -log10(floor)
        return range.0 + t * (range.1 - range.0)
    }

    /// The decade at or below `1 / count`, but never below 1e-4: the smallest rate `count` trials can show,
    /// and the lowest FPR membership-inference papers plot (Carlini et al. 2022).
    static func floor(forCount count: Int) -> Double {
        let smallest = max(1e-4, 1 / Double(max(count, 1)))
        return pow(10, log10(smallest).rounded(.down))
    }
}

/// One attack's ROC line.
struct ROCSeries {
    var label: String
    var color: String
    var points: [ROCSample]
    /// SVG dash pattern; nil draws a solid line (one model's attacks share its colour and differ by dash).
    var dash: String? = nil
}

/// A membership-inference ROC on log-log axes (Carlini et al. 2022, "from first principles"): what matters is
/// the TPR at a low FPR, which a linear plot squeezes into its corner. The diagonal is the guessing attack; for
/// a model with a DP claim the largest ROC it allows, TPR = min(1, e^ε·FPR + δ), is drawn dashed.
struct ROCChart {
    var series: [ROCSeries]
    var members: Int
    var nonMembers: Int
    var guarantee: DPGuaranteeInfo?

    private let plotLeft = 72.0, plotTop = 16.0, plotSize = 360.0
    private let legendLeft = 460.0, legendRow = 20.0, width = 760.0

    func svg() -> String {
        let x = LogScale(floor: LogScale.floor(forCount: nonMembers), range: (plotLeft, plotLeft + plotSize))
        let y = LogScale(floor: LogScale.floor(forCount: members), range: (plotTop + plotSize, plotTop))
        let height = plotTop + plotSize + 56
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(svgNumber(width)) \(svgNumber(height))" \
        role="img" aria-label="Membership-inference ROC, log-log">\n
        """
        out += axes(x: x, y: y)
        out += curve(points: [(x.floor, x.floor), (1, 1)], x: x, y: y, color: "#9aa3b2", dash: "4 4", title: "random guessing (TPR = FPR)")
        if let guarantee {
            let bound = (0...120).map { i -> (Double, Double) in
                let fpr = pow(10, log10(x.floor) * (1 - Double(i) / 120))
                return (fpr, min(1, exp(guarantee.epsilon) * fpr + guarantee.delta))
            }
            out += curve(points: bound, x: x, y: y, color: Palette.worst, dash: "8 3 2 3",
                         title: "largest ROC the claimed guarantee allows: TPR = e^ε·FPR + δ (ε \(Format.decimal(guarantee.epsilon)), δ \(Format.decimal(guarantee.delta)))")
        }
        for s in series {
            out += curve(points: s.points.map { ($0.fpr, $0.tpr) }, x: x, y: y, color: s.color, dash: s.dash, title: s.label)
        }
        out += legend()
        return out + "</svg>\n"
    }

    /// Decade grid lines and labels on both axes, the frame and the axis titles.
    private func axes(x: LogScale, y: LogScale) -> String {
        let bottom = plotTop + plotSize, right = plotLeft + plotSize
        var out = "<g class=\"axes\">\n"
        for tick in decades(from: x.floor) {
            let tx = svgNumber(x(tick))
            out += "<line class=\"grid\" x1=\"\(tx)\" y1=\"\(svgNumber(plotTop))\" x2=\"\(tx)\" y2=\"\(svgNumber(bottom))\"/>"
            out += "<text class=\"tick\" x=\"\(tx)\" y=\"\(svgNumber(bottom + 18))\" text-anchor=\"middle\">\(Format.decimal(tick))</text>\n"
        }
        for tick in decades(from: y.floor) {
            let ty = svgNumber(y(tick))
            out += "<line class=\"grid\" x1=\"\(svgNumber(plotLeft))\" y1=\"\(ty)\" x2=\"\(svgNumber(right))\" y2=\"\(ty)\"/>"
            out += "<text class=\"tick\" x=\"\(svgNumber(plotLeft - 8))\" y=\"\(ty)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(Format.decimal(tick))</text>\n"
        }
        out += "<rect class=\"frame\" x=\"\(svgNumber(plotLeft))\" y=\"\(svgNumber(plotTop))\" width=\"\(svgNumber(plotSize))\" height=\"\(svgNumber(plotSize))\"/>\n"
        out += "<text class=\"label\" x=\"\(svgNumber(plotLeft + plotSize / 2))\" y=\"\(svgNumber(bottom + 42))\" text-anchor=\"middle\">False positive rate (non-members called members)</text>\n"
        out += "<text class=\"label\" transform=\"translate(16 \(svgNumber(plotTop + plotSize / 2))) rotate(-90)\" text-anchor=\"middle\">True positive rate</text>\n"
        return out + "</g>\n"
    }

    private func decades(from floor: Double) -> [Double] {
        let lowest = Int(log10(floor).rounded())
        return (lowest...0).map { pow(10, Double($0)) }
    }

    private func curve(points: [(Double, Double)], x: LogScale, y: LogScale, color: String, dash: String?, title: String) -> String {
        let coordinates = points.map { "\(svgNumber(x($0.0))),\(svgNumber(y($0.1)))" }.joined(separator: " ")
        let dashAttribute = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(dash == nil ? "2" : "1.5")\"\(dashAttribute) points=\"\(coordinates)\"><title>\(escapeHTML(title))</title></polyline>\n"
    }

    /// One row per attack, then the reference lines.
    private func legend() -> String {
        var rows = series.map { ($0.label, $0.color, nil as String?) }
        rows.append(("random guessing", "#9aa3b2", "4 4"))
        if let guarantee { rows.append(("DP bound (ε \(Format.decimal(guarantee.epsilon)))", Palette.worst, "8 3 2 3")) }
        var out = "<g class=\"legend\">\n"
        for (i, row) in rows.enumerated() {
            let top = plotTop + 4 + Double(i) * legendRow
            let dash = row.2.map { " stroke-dasharray=\"\($0)\"" } ?? ""
            out += "<g><line x1=\"\(svgNumber(legendLeft))\" y1=\"\(svgNumber(top + 6))\" x2=\"\(svgNumber(legendLeft + 28))\" y2=\"\(svgNumber(top + 6))\" stroke=\"\(row.1)\" stroke-width=\"2\"\(dash)/>"
            out += "<text x=\"\(svgNumber(legendLeft + 36))\" y=\"\(svgNumber(top + 6))\" dominant-baseline=\"middle\">\(escapeHTML(row.0))</text></g>\n"
        }
        return out + "</g>\n"
    }
}
