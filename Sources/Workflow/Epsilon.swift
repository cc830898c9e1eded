import Foundation

/// Parsing epsilons as users write them: `0.1`, `8/255`, lists `0,0.05,0.1` and ranges `0:0.3:0.05`.
public enum Epsilon {
    /// One epsilon: a decimal number or a fraction `a/b`. Nil when it is neither.
    public static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), b != 0 { return a / b }
        if parts.count == 1, let value = Double(trimmed) { return value }
        return nil
    }

    /// A grid: a comma-separated list of epsilons, or `start:stop:step` (stop included, within
    /// rounding), each in [0, maximum] (1 for L-inf; an L2 ball may be larger). Throws a message naming the bad part. Values are rounded to 1e-9 so that
    /// `0:0.3:0.1` gives 0.3, not 0.30000000000000004.
    public static func parseGrid(_ text: String, maximum: Double = 1) throws -> [Double] {
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var values: [Double]
        if pieces.count == 3 {
            guard let start = parse(pieces[0]), let stop = parse(pieces[1]), let step = parse(pieces[2]) else {
                throw EpsilonError("epsilon range '\(text)' is not start:stop:step with numbers (e.g. 0:0.3:0.05)")
            }
            guard step > 0, stop >= start, start.isFinite, stop.isFinite else {
                throw EpsilonError("epsilon range '\(text)' needs finite numbers, a positive step and stop >= start")
            }
            // Counted in Double first: a tiny step (0:1:1e-20) would overflow Int.
            let points = ((stop - start) / step + 1e-9).rounded(.down) + 1
            guard points <= 1000 else {
                throw EpsilonError("epsilon range '\(text)' has \(points < 1e15 ? String(Int(points)) : "\(points)") points; use at most 1000")
            }
            values = (0..<Int(points)).map { start + Double($0) * step }
        } else if pieces.count == 1 {
            values = try text.split(separator: ",").map { piece in
                guard let value = parse(String(piece)) else {
                    throw EpsilonError("epsilon '\(piece.trimmingCharacters(in: .whitespaces))' is not a number or a fraction like 8/255")
                }
                return value
            }
        } else {
            throw EpsilonError("epsilon grid '\(text)' is neither a list (0,0.05,0.1) nor a range (0:0.3:0.05)")
        }
        guard !values.isEmpty else { throw EpsilonError("epsilon grid '\(text)' is empty") }
        values = values.map { ($0 * 1e9).rounded() / 1e9 }
        for value in values where !(value >= 0 && value <= maximum) || !value.isFinite {
            throw EpsilonError("epsilon \(value) is outside [0, \(maximum)]; epsilons are in pixel units (images are in [0, 1]), e.g. 0.1 or 8/255")
        }
        return Array(Set(values)).sorted()
    }
}

/// An epsilon the user wrote that cannot be used (a usage error: exit 2).
public struct EpsilonError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
