/// Every attack robust knows, by name: the one explicit table (no reflection), in listing order.
public enum AttackRegistry {
    public static let all: [any Attack.Type] = [
        FGSM.self, FGM.self, BIM.self, PGD.self, MIFGSM.self,
        APGDCE.self, APGDDLR.self, APGDT.self, Square.self,
        UniformNoise.self, GaussianNoise.self,
    ]

    public static var names: [String] { all.map { $0.name } }

    /// The attack type registered as `name`, or nil.
    public static func named(_ name: String) -> (any Attack.Type)? {
        all.first { $0.name == name }
    }

    /// Builds attack `name` from options; an unknown name or an unusable option is an `AttackError`
    /// that lists the known attacks or says which option to change.
    public static func make(_ name: String, options: AttackOptions) throws -> any Attack {
        guard let type = named(name) else {
            throw AttackError("unknown attack '\(name)'; known attacks: \(names.joined(separator: ", ")) (see `robust attacks`)")
        }
        if options.target != .none && !type.usesGradients {
            throw AttackError("attack '\(name)' cannot be targeted; targeted modes are for gradient attacks")
        }
        // An option the attack does not read would be silently ignored, and recorded as if it had run.
        let takes = Set(type.parameters.map(\.name))
        let unused = options.setNames.filter { !takes.contains($0) }
        if !unused.isEmpty {
            let accepted = type.parameters.map { optionFlag($0.name) }
            throw AttackError("attack '\(name)' does not use \(unused.map(optionFlag).joined(separator: ", ")); it takes \(accepted.isEmpty ? "no options" : accepted.joined(separator: ", ")) (and --norm \(type.norms.map(\.rawValue).joined(separator: "|"))); see `robust attacks`")
        }

        return try type.init(options: options)
    }
}
