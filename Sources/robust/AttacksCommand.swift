import ArgumentParser
import Harness

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
                let flag = p.name == "random_start" ? "--no-random-start" : "--" + p.name.replacingOccurrences(of: "_", with: "-")
                print("    \(flag) (default \(p.defaultValue)): \(p.help)")
            }
        }
        print("\nFlags are `robust eval` options; in a suite file the same parameters are keys with underscores (step_size, p_init, random_start: false).")
        print("Suites: attacks/*.yaml (robust eval --suite attacks/quick.yaml).")
    }
}
