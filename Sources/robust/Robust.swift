import ArgumentParser

/// The `robust` command: adversarial-robustness evaluation for image classifiers.
@main
struct Robust: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "robust",
        abstract: "Measure, report and gate how well an image classifier holds up under adversarial attack.",
        version: "0.1.0",
        subcommands: [Bench.self]
    )
}
