/// Why YAML text is refused before it reaches Yams, or nil when it is fine.
///
/// Yams parses nested collections by recursion, so a small hostile file (`{{{{...` 2,000 deep, found by
/// `make fuzz`) overflows the stack instead of failing. Suites and gate files are a few levels deep;
/// anything past `limit` levels of flow brackets, block-sequence dashes on one line, or indentation
/// columns is refused here with one line.
public func yamlNestingProblem(_ text: String, limit: Int = 64) -> String? {
    var depth = 0, deepest = 0
    var quote: Character? = nil
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let indentation = line.prefix { $0 == " " }.count
        guard indentation <= 4 * limit else { return "indented \(indentation) columns deep (at most \(4 * limit))" }
        var dashes = 0
        var rest = line.dropFirst(indentation)
        while rest.hasPrefix("- ") || rest == "-" {
            dashes += 1
            rest = rest.dropFirst(2).drop { $0 == " " }
        }
        guard dashes <= limit else { return "nests \(dashes) block sequences on one line (at most \(limit))" }
        var previous: Character = " "
        for ch in line {
            defer { previous = ch }
            if let open = quote {
                if ch == open && previous != "\\" { quote = nil }
                continue
            }
            // A quote opens a quoted scalar only where a scalar can start (`don't` is plain text), and `#`
            // starts a comment only after a space: brackets inside either do not nest anything.
            let scalarStart = previous == " " || previous == "[" || previous == "{" || previous == "," || previous == ":"
            if (ch == "\"" || ch == "'") && scalarStart {
                quote = ch
            } else if ch == "#" && previous == " " {
                break
            } else if ch == "[" || ch == "{" {
                depth += 1
                deepest = max(deepest, depth)
            } else if ch == "]" || ch == "}" {
                depth = max(0, depth - 1)
            }
        }
        quote = nil // flow scalars in these files do not span lines
    }
    return deepest > limit ? "nests brackets \(deepest) deep (at most \(limit))" : nil
}
