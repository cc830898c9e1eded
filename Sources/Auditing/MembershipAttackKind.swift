import Workflow

/// The membership-inference attacks `robust privacy` runs, by the name `--attack` takes.
public enum MembershipAttackKind: String, CaseIterable, Sendable {
    /// Loss threshold (Yeom et al. 2018): score −loss under the target; needs nothing but the target.
    case loss
    /// Offline LiRA (Carlini et al. 2022): needs shadow models trained with the target's recipe.
    case lira

    /// A comma-separated list (`loss`, `lira`, `loss,lira`), in the order given, without repeats; a usage error
    /// for an unknown or empty name.
    public static func parseList(_ text: String) throws -> [MembershipAttackKind] {
        var out: [MembershipAttackKind] = []
        for name in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            guard let kind = MembershipAttackKind(rawValue: name) else {
                throw ToolError.usage("--attack '\(text)': unknown membership attack '\(name)'; use loss, lira or loss,lira")
            }
            if !out.contains(kind) { out.append(kind) }
        }
        return out
    }
}
