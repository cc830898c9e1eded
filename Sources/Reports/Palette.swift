/// Colours of the report: one per attack (or per run in a comparison), in a fixed order, so the
/// same attack has the same colour in every plot of a page. Tableau 10, which stays readable
/// for the common colour-vision deficiencies and in print.
enum Palette {
    static let colors = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1",
                         "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac"]

    /// Certified accuracy (a lower bound) and the shaded gap up to the attacks: green.
    static let certified = "#1b7f3b"
    /// The worst case over attacks: black, so it stands out from every attack's colour.
    static let worst = "#111111"

    static func color(_ index: Int) -> String { colors[index % colors.count] }

    /// Dash patterns that tell apart attacks drawn in one colour (a comparison's run colour).
    static let dashes = ["6 3", "2 3", "9 3 2 3", "1 4", "12 4"]
}

/// A norm's name as printed: `linf` → `L∞`, `l2` → `L2`; anything else as is.
func normLabel(_ norm: String) -> String {
    switch norm.lowercased() {
    case "linf": return "L∞"
    case "l2": return "L2"
    case "l1": return "L1"
    default: return norm
    }
}
