/// Escapes text for HTML and SVG content and attribute values: `& < > " '`.
///
/// Every string that comes from results.json (class names, model and file names, attack ids,
/// check texts, parameters) goes through this, because a results file is data from elsewhere
/// and a class named `<script>` must show as text, never run.
func escapeHTML(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(character)
        }
    }
    return out
}
