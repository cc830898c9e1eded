import Foundation
import Metrics
import Reports
import Workflow

/// One requirement a CI gate checks, as a user writes it: `clean>=0.90`, `pgd@0.1>=0.70`,
/// `worst@8/255>=40%`, `pgd:l2@0.5>=0.6`.
///
/// Grammar: `TARGET OP VALUE` where TARGET is `clean` or `ATTACK[:NORM]@EPS` (ATTACK an attack id
/// of the run or `worst`; EPS a decimal or a fraction like `8/255`), OP one of `>=`, `>`, `<=`, `<`,
/// and VALUE an accuracy in [0, 1] or a percentage (`70%`). The norm is needed only when the run
/// has the same attack id at two norms.
public struct GateRequirement: Equatable, Sendable {
    /// What a requirement measures.
    public enum Target: Equatable, Sendable {
        /// Clean accuracy of the run.
        case clean
        /// Robust accuracy of one curve point; `norm` nil means "whichever norm the attack ran at".
        case curve(attack: String, norm: String?, eps: Double)
        /// A membership-inference figure of a `robust privacy` run (privacy.json): `attack` nil means the
        /// worst (largest) over its attacks.
        case membership(MembershipMetric, attack: String?)
    }

    public var target: Target
    public var comparison: GateComparison
    /// The bound, an accuracy in [0, 1].
    public var threshold: Double
    /// The text as written, used as the requirement's name in every report.
    public var text: String

    public init(target: Target, comparison: GateComparison, threshold: Double, text: String) {
        self.target = target
        self.comparison = comparison
        self.threshold = threshold
        self.text = text
    }

    /// The syntax, with examples, for usage errors.
    static let syntaxHelp = "write TARGET OP VALUE, TARGET being clean, ATTACK[:NORM]@EPS, certified@EPS (with --certify), "
        + "or mia-auc / mia-tpr@FPR of a `robust privacy` run (mia-tpr[lira]@0.001 for one attack), OP one of >= > <= <, "
        + "VALUE an accuracy in [0,1] or a percentage (e.g. clean>=0.90, pgd@8/255>=0.40, pgd:l2@0.5>=60%)"

    /// Parses a requirement; a malformed one is a usage error (exit 2) that explains the syntax.
    public static func parse(_ text: String) throws -> GateRequirement {
        let written = text.trimmingCharacters(in: .whitespaces)
        func malformed(_ why: String) -> ToolError {
            ToolError.usage("requirement '\(written)' \(why); \(syntaxHelp)")
        }
        // Two-character operators first, so `>=` is not read as `>` followed by `=0.9`.
        guard let (comparison, range) = GateComparison.allCases.lazy
            .compactMap({ op in written.range(of: op.rawValue).map { (op, $0) } }).first else {
            throw malformed("has no comparison")
        }
        let left = written[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
        let right = written[range.upperBound...].trimmingCharacters(in: .whitespaces)
        guard let threshold = parseAccuracy(right) else {
            throw malformed("has '\(right)' as its value, not an accuracy in [0,1] or a percentage")
        }
        return GateRequirement(target: try parseTarget(left, malformed: malformed), comparison: comparison,
                               threshold: threshold, text: written)
    }

    private static func parseTarget(_ text: String, malformed: (String) -> ToolError) throws -> Target {
        if text.lowercased() == "clean" { return .clean }
        if text.lowercased().hasPrefix("mia-") { return try parseMembershipTarget(text, malformed: malformed) }
        let sides = text.split(separator: "@", omittingEmptySubsequences: false).map(String.init)
        guard sides.count == 2 else { throw malformed("names '\(text)', neither clean nor ATTACK@EPS") }
        let names = sides[0].split(separator: ":", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...2).contains(names.count), names.allSatisfy({ !$0.isEmpty }) else {
            throw malformed("has '\(sides[0])' as its attack, not ATTACK or ATTACK:NORM")
        }
        guard let eps = Epsilon.parse(sides[1]), eps.isFinite, eps >= 0 else {
            throw malformed("has '\(sides[1])' as its epsilon, not a number or a fraction like 8/255")
        }
        return .curve(attack: names[0], norm: names.count == 2 ? names[1].lowercased() : nil, eps: eps)
    }

    /// An accuracy as written: a number in [0, 1] or a percentage in [0 %, 100 %]; nil otherwise.
    public static func parseAccuracy(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let isPercent = trimmed.hasSuffix("%")
        guard let number = Double(isPercent ? String(trimmed.dropLast()).trimmingCharacters(in: .whitespaces) : trimmed),
              number.isFinite else { return nil }
        let value = isPercent ? number / 100 : number
        return (0...1).contains(value) ? value : nil
    }
}

/// How a measured accuracy is compared with a requirement's bound.
public enum GateComparison: String, CaseIterable, Equatable, Sendable {
    // Order matters for parsing: two-character operators before their one-character prefixes.
    case atLeast = ">="
    case atMost = "<="
    case above = ">"
    case below = "<"

    /// Slack for the inclusive comparisons, so that `0.7` and `70%` accept 700 correct of 1000
    /// whatever the last bit of the division; far below one sample in any real run.
    static let tolerance = 1e-9

    /// Whether `measured` satisfies `measured OP bound`.
    public func holds(_ measured: Double, _ bound: Double) -> Bool {
        switch self {
        case .atLeast: return measured >= bound - Self.tolerance
        case .atMost: return measured <= bound + Self.tolerance
        case .above: return measured > bound
        case .below: return measured < bound
        }
    }
}

/// An accuracy for people, to four decimals (a tenth of a sample at n = 1000).
func formatAccuracy(_ value: Double) -> String {
    String(format: "%.4f", value)
}
