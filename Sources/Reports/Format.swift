import Foundation

/// How numbers read in the HTML report (CSV keeps full precision; see `CSV.number`).
/// All formats are locale-free, so a report renders the same everywhere.
enum Format {
    /// A fraction as a percentage with one decimal: `0.8312` → `83.1%`.
    static func percent(_ fraction: Double) -> String {
        String(format: "%.1f%%", 100 * fraction)
    }

    /// An epsilon as people write it (see `formatEpsilon`).
    static func eps(_ value: Double) -> String { formatEpsilon(value) }

    /// A plain decimal with at most `digits` significant digits and no trailing zeros: `0.05`, `12.5`, `3`.
    static func decimal(_ value: Double, digits: Int = 4) -> String {
        guard value.isFinite else { return "\(value)" }
        var text = String(format: "%.\(digits)g", value)
        if text.contains("."), !text.contains("e") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// An integer with thousands separators: `1234567` → `1,234,567`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, character) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// A wall-clock duration: `0.8 s`, `42.1 s`, `3 min 05 s`, `2 h 04 min`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "–" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
        return String(format: "%d h %02d min", whole / 3600, whole % 3600 / 60)
    }

    /// Sample indices as ranges: `0–999` for a contiguous block, `0–99, 200–299` for a few blocks,
    /// the first ones and a count beyond `maxRanges`. Order is evaluation order.
    static func indexRanges(_ indices: [Int], maxRanges: Int = 4) -> String {
        guard !indices.isEmpty else { return "none" }
        var ranges: [(Int, Int)] = []
        for index in indices {
            if let last = ranges.last, index == last.1 + 1 {
                ranges[ranges.count - 1].1 = index
            } else {
                ranges.append((index, index))
            }
        }
        let shown = ranges.prefix(maxRanges).map { $0.0 == $0.1 ? "\($0.0)" : "\($0.0)–\($0.1)" }
        let rest = ranges.count > maxRanges ? ", … (\(ranges.count) ranges)" : ""
        return shown.joined(separator: ", ") + rest
    }
}

/// An epsilon as people write it, everywhere robust shows one (report, gate verdicts): a short
/// decimal when one is exact (`0.1`, `0.123456`), else `k/255` when it is a whole number of 255ths
/// (`8/255`), else four significant digits (`0.3` for 0.30000000000000004).
public func formatEpsilon(_ value: Double) -> String {
    let short = String(format: "%g", value)
    if Double(short) == value { return short }
    let steps = value * 255
    if steps.rounded() >= 1, abs(steps - steps.rounded()) < 1e-6 { return "\(Int(steps.rounded()))/255" }
    return Format.decimal(value)
}
