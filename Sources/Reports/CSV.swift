/// Writing CSV text: field quoting per RFC 4180 and one stable spelling for numbers.
///
/// Rows end in `\n` rather than RFC 4180's `\r\n`: every CSV reader accepts it and the files
/// diff cleanly. The same values always give the same bytes.
enum CSV {
    /// A field as written: quoted (with inner quotes doubled) only when it contains a comma, a
    /// quote or a line break, as RFC 4180 requires.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A number as written: Swift's shortest representation that reads back to the same
    /// double (`0.1`, `1.0`, `3.1e-05`, `nan`), so a round trip through the CSV loses nothing.
    static func number(_ value: Double) -> String {
        "\(value)"
    }

    /// One line of already-formatted fields.
    static func row(_ fields: [String]) -> String {
        fields.joined(separator: ",") + "\n"
    }
}
