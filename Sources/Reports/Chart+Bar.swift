/// Per-class accuracy as a horizontal bar chart in inline SVG: one row per class with its name,
/// a pale bar for clean accuracy behind a coloured bar for robust accuracy, and the values.
///
/// Horizontal, so that long class names stay readable without rotation.
struct BarChart {
    var classes: [ClassAccuracy]
    var color: String

    private let labelWidth = 180.0, barWidth = 470.0, rowHeight = 24.0, top = 28.0, width = 800.0

    func svg() -> String {
        let height = top + rowHeight * Double(classes.count) + 12
        let x = LinearScale(domain: (0, 1), range: (labelWidth, labelWidth + barWidth))
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" class="chart bars" viewBox="0 0 \(svgNumber(width)) \(svgNumber(height))" \
        role="img" aria-label="Robust accuracy per class">\n
        """
        out += "<g class=\"axes\">\n"
        for tick in stride(from: 0.0, through: 1.0001, by: 0.2) {
            let tx = svgNumber(x(tick))
            out += "<line class=\"grid\" x1=\"\(tx)\" y1=\"\(svgNumber(top - 4))\" x2=\"\(tx)\" y2=\"\(svgNumber(height - 8))\"/>"
            out += "<text class=\"tick\" x=\"\(tx)\" y=\"\(svgNumber(top - 10))\" text-anchor=\"middle\">\(Int((tick * 100).rounded()))%</text>\n"
        }
        out += "</g>\n"
        for (row, c) in classes.enumerated() {
            let y = top + Double(row) * rowHeight
            let clean = c.n == 0 ? 0 : Double(c.cleanCorrect) / Double(c.n)
            let robust = c.n == 0 ? 0 : Double(c.robust) / Double(c.n)
            let name = escapeHTML(c.name.count > 26 ? String(c.name.prefix(25)) + "…" : c.name)
            out += "<g class=\"bar\"><title>\(escapeHTML(c.name)) (label \(c.label)): robust \(Format.percent(robust)) "
            out += "(\(c.robust)/\(c.n)), clean \(Format.percent(clean)) (\(c.cleanCorrect)/\(c.n))</title>\n"
            out += "<text x=\"\(svgNumber(labelWidth - 10))\" y=\"\(svgNumber(y + rowHeight / 2))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(name)</text>\n"
            out += "<rect class=\"clean\" x=\"\(svgNumber(labelWidth))\" y=\"\(svgNumber(y + 3))\" width=\"\(svgNumber(x(clean) - labelWidth))\" height=\"\(svgNumber(rowHeight - 6))\"/>\n"
            out += "<rect fill=\"\(color)\" x=\"\(svgNumber(labelWidth))\" y=\"\(svgNumber(y + 7))\" width=\"\(svgNumber(x(robust) - labelWidth))\" height=\"\(svgNumber(rowHeight - 14))\"/>\n"
            let value = c.n == 0 ? "no samples" : "\(Format.percent(robust)) of \(c.n)"
            out += "<text class=\"value\" x=\"\(svgNumber(labelWidth + barWidth + 10))\" y=\"\(svgNumber(y + rowHeight / 2))\" dominant-baseline=\"middle\">\(value)</text></g>\n"
        }
        return out + "</svg>\n"
    }
}
