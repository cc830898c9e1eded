import ArgumentParser
import Attacks

/// `robust attacks`: the attack registry with norms, kind and parameters.
struct AttacksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attacks",
        abstract: "List the attacks robust knows, with their norms, parameters and defaults."
    )

    func run() {
        for type in AttackRegistry.all {
            let kind = type.usesGradients ? "white-box" : "black-box"
            print("\(type.name)  [\(type.norms.map(\.rawValue).joined(separator: ", ")); \(kind)]")
            print("    \(type.summary)")
            for p in type.parameters {
                print("    --\(p.name.replacingOccurrences(of: "_", with: "-")) (default \(p.defaultValue)): \(p.help)")
            }
        }
        print("\nSuites: attacks/*.yaml (robust eval --suite attacks/quick.yaml).")
    }
}
