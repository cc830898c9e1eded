import ArgumentParser
import Foundation
import Harness

/// `robust gate`: judges a run's results.json against requirements, a baseline and its own validity
/// checks, and exits 1 when robustness dropped, so a CI job fails. All logic is in Harness (`runGate`).
///
/// With `--model` and `--suite` instead of RUN it evaluates first (writing the run to `--out`),
/// then judges the fresh results.
struct GateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Fail a CI build when robustness drops: check a run against requirements, a baseline and its validity checks.",
        discussion: """
        Requirements are TARGET OP VALUE: TARGET is `clean` or ATTACK[:NORM]@EPS (an attack id of the run, or \
        `worst` for the worst case over attacks; NORM only when the run has that attack at two norms), OP one of \
        >= > <= <, VALUE an accuracy in [0,1] or a percentage. A requirement naming an attack or epsilon the run \
        does not have fails, and its message lists what the run has.

        With --baseline, clean accuracy and every curve point both runs have fail when they dropped by more than \
        --max-drop (default 0.02): current < baseline - max_drop. With --wilson, a point fails only when the top \
        of the current run's Wilson 95% interval is below baseline - max_drop (the drop is significant).

        Every validity check of the run is a test case too: it fails when its status reaches --fail-on.

        A --config YAML file may hold the same settings (keys require, baseline, max_drop, wilson, fail_on); \
        flags add requirements to the file's and override the rest.

        Exit codes: 0 the gate passed, 1 it failed (after writing --junit and --summary), 2 a usage error \
        (malformed requirement, unknown config key), 3 bad input (missing or corrupt run, baseline or config).
        On GitHub Actions (GITHUB_ACTIONS=true) failures are also printed as ::error annotations.

        Examples:
          robust gate reports/ci --require 'clean>=0.90' \\
            --require 'worst@8/255>=0.40' --require 'pgd:l2@0.5>=60%'
          robust gate reports/ci --baseline reports/baseline/results.json \\
            --max-drop 0.02 --junit reports/ci/junit.xml \\
            --summary "$GITHUB_STEP_SUMMARY"
          robust gate reports/ci/results.json --baseline reports/baseline --wilson
          robust gate reports/ci --config gate.yaml --fail-on warn
          robust gate --model cnn --suite attacks/quick.yaml --samples 1000 \\
            --out reports/ci --require 'pgd@0.05>=0.10'
        """
    )

    @Argument(help: ArgumentHelp("A run folder written by `robust eval`, or its results.json (or give --model and --suite).", valueName: "run"))
    var runFolder: String?

    @Option(help: "Evaluate this model first (with --suite) instead of judging an existing run.")
    var model: String?

    @Option(help: "Attack suite for --model, e.g. attacks/quick.yaml.")
    var suite: String?

    @Option(help: "With --model: evaluate the first N test samples.")
    var samples: Int?

    @Option(help: "With --model: dataset (default fashion-mnist).")
    var dataset = "fashion-mnist"

    @Option(help: "With --model: the run folder to write (default reports/gate-<model>).")
    var out: String?

    @Option(name: .customLong("require"), help: "A requirement, e.g. 'clean>=0.90', 'pgd@0.1>=0.70', 'worst@8/255>=40%'. Repeatable.")
    var requirements: [String] = []

    @Option(help: "A gate YAML file (keys require, baseline, max_drop, wilson, fail_on).")
    var config: String?

    @Option(help: "A baseline run folder or results.json to compare with.")
    var baseline: String?

    @Option(help: "Largest allowed drop from the baseline, e.g. 0.02 or 2% (default 0.02).")
    var maxDrop: String?

    @Flag(help: "Fail a baseline point only when the drop is significant: the top of its Wilson 95% interval is below baseline - max drop.")
    var wilson = false

    @Option(help: "Validity-check status that fails the gate: warn, fail (default) or never.")
    var failOn: String?

    @Option(help: "Write a JUnit XML report here.")
    var junit: String?

    @Option(help: "Append a Markdown summary here (e.g. \"$GITHUB_STEP_SUMMARY\").")
    var summary: String?

    func validate() throws {
        switch (runFolder, model, suite) {
        case (.some, nil, nil): break
        case (nil, .some, .some): break
        case (.some, _, _): throw ValidationError("give either a run folder or --model with --suite, not both")
        default: throw ValidationError("give a run folder (from `robust eval`), or --model and --suite to evaluate first")
        }
        if let samples, samples <= 0 { throw ValidationError("--samples must be positive (got \(samples))") }
    }

    func run() throws {
        let options = GateOptions(requirements: requirements, configPath: config, baseline: baseline, maxDrop: maxDrop,
                                  wilson: wilson, failOn: failOn, junitPath: junit, summaryPath: summary)
        let environment = ProcessInfo.processInfo.environment
        guard let model, let suite else {
            try runGate(run: runFolder!, options: options, environment: environment)
            return
        }
        let config = try options.resolvedConfig() // a malformed requirement fails before the evaluation
        let request = EvalRequest(model: model, dataset: dataset, samples: samples, attacks: try Suite.load(path: suite).attacks)
        let results = try runEvaluation(request, context: ExecutionContext(threads: ExecutionContext.availableCores))
        let folder = out ?? "reports/gate-\(URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent)"
        try writeRun(results, to: folder)
        try runGate(results: results, run: folder, config: config, junitPath: junit, summaryPath: summary, environment: environment)
    }
}
