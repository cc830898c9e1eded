import Foundation

/// A normalised outline of a report page, for the golden-file test of its structure: section
/// ids, headings, and per SVG / table / gallery the counts of what they hold. Stable under
/// changes of style, numbers and wording inside cells, so the golden file changes only when
/// the page's shape does.
func htmlOutline(_ html: String) -> String {
    let tag = try! NSRegularExpression(pattern: "<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")
    let ns = html as NSString
    var lines: [String] = []
    var svgCounts: [String: Int]?
    var tableRows: Int?
    var images = 0
    for match in tag.matches(in: html, range: NSRange(location: 0, length: ns.length)) {
        let closing = ns.substring(with: match.range(at: 1)) == "/"
        let name = ns.substring(with: match.range(at: 2)).lowercased()
        let attributes = ns.substring(with: match.range(at: 3))
        if var counts = svgCounts, name != "svg" {
            if !closing { counts[name, default: 0] += 1 }
            svgCounts = counts
            continue
        }
        switch (name, closing) {
        case ("section", false):
            let id = attributes.range(of: "id=\"[^\"]*\"", options: .regularExpression).map { String(attributes[$0]) } ?? ""
            lines.append("section " + id)
        case ("section", true):
            if images > 0 { lines.append("  img ×\(images)") }
            images = 0
        case ("h1", false), ("h2", false), ("h3", false):
            let start = match.range.location + match.range.length
            let end = ns.range(of: "</\(name)>", range: NSRange(location: start, length: ns.length - start)).location
            let inner = ns.substring(with: NSRange(location: start, length: end - start))
            let text = inner.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
            lines.append("  \(name) \(text)")
        case ("svg", false): svgCounts = [:]
        case ("svg", true):
            lines.append("  svg " + svgCounts!.keys.sorted().map { "\($0)=\(svgCounts![$0]!)" }.joined(separator: " "))
            svgCounts = nil
        case ("table", false): tableRows = 0
        case ("tr", false): tableRows? += 1
        case ("table", true):
            lines.append("  table rows=\(tableRows ?? 0)")
            tableRows = nil
        case ("img", false): images += 1
        default: break
        }
    }
    return lines.joined(separator: "\n") + "\n"
}
