import Files
import Foundation
import Metrics
import Reports
import Workflow

/// What `robust gate` was asked on the command line, as written: parsing and validating it is
/// the library's job (`resolvedConfig()`), so every caller gets the same errors.
public struct GateOptions: Sendable {
    /// `--require`, in order; added after the config file's.
    public var requirements: [String]
    /// `--config`: a gate YAML file (see `GateConfig+YAML.swift`).
    public var configPath: String?
    /// `--baseline`: a baseline results.json or run folder.
    public var baseline: String?
    /// `--max-drop`: `0.02` or `2%`.
    public var maxDrop: String?
    /// `--wilson`: false means "not given" (the config file's setting stands).
    public var wilson: Bool
    /// `--fail-on`: `warn`, `fail` or `never`.
    public var failOn: String?
    /// `--junit` and `--summary` output files (the summary is appended to).
    public var junitPath: String?
    public var summaryPath: String?

    public init(requirements: [String] = [], configPath: String? = nil, baseline: String? = nil, maxDrop: String? = nil,
                wilson: Bool = false, failOn: String? = nil, junitPath: String? = nil, summaryPath: String? = nil) {
        self.requirements = requirements
        self.configPath = configPath
        self.baseline = baseline
        self.maxDrop = maxDrop
        self.wilson = wilson
        self.failOn = failOn
        self.junitPath = junitPath
        self.summaryPath = summaryPath
    }

    /// The config file's settings (if any) overridden by the flags. Throws usage errors for
    /// malformed values and bad-input errors for a config file that cannot be read.
    public func resolvedConfig() throws -> GateConfig {
        let flags = GateConfig(requirements: try requirements.map(GateRequirement.parse), baseline: baseline,
                               maxDrop: try maxDrop.map { try GateConfig.parseMaxDrop($0) }, wilson: wilson ? true : nil,
                               failOn: try failOn.map { try GateFailOn.parse($0) })
        let config = try configPath.map(GateConfig.load(path:))?.overridden(by: flags) ?? flags
        try config.validate()
        return config
    }
}

/// Runs the gate on a run folder or results.json: `runGate(results:...)` after loading it.
///
/// - Throws: `ToolError.usage` (exit 2) for malformed options, `.badInput` (exit 3) for a missing
///   or corrupt run, baseline or config file, `.gateFailed` (exit 1) when the gate fails.
@discardableResult
public func runGate(run: String, options: GateOptions, environment: [String: String],
                    output: (String) -> Void = { print($0) }) throws -> GateVerdict {
    let config = try options.resolvedConfig()
    let (privacy, hasResults) = try loadGatePrivacy(run)
    if let privacy, !hasResults {
        let verdict = try GateVerdict.judge(privacy: privacy, run: run, config: config)
        return try publishGate(verdict, junitPath: options.junitPath, summaryPath: options.summaryPath, environment: environment, output: output)
    }
    let results = try loadGateResults(run, role: "run", hint: "run `robust eval --out \(run)` (or `robust privacy --out \(run)`) first")
    return try runGate(results: results, privacy: privacy, run: run, config: config, junitPath: options.junitPath,
                       summaryPath: options.summaryPath, environment: environment, output: output)
}

/// Runs the gate on results already in memory (e.g. just evaluated; resolve `config` from the
/// options before evaluating, so that a malformed requirement fails fast): judges them, prints one
/// line per test case (and GitHub annotations when `environment` says GitHub Actions) through
/// `output`, writes the JUnit and Markdown files, and throws `ToolError.gateFailed` if the gate
/// failed, after everything is written. Returns the verdict when it passed. `privacy` (the folder's privacy.json)
/// answers the `mia-*` requirements and adds its DP audit check.
@discardableResult
public func runGate(results: RunResults, privacy: PrivacyResults? = nil, run: String, config: GateConfig, junitPath: String? = nil,
                    summaryPath: String? = nil, environment: [String: String], output: (String) -> Void = { print($0) }) throws -> GateVerdict {
    if config.requirements.isEmpty, config.baseline == nil, results.checks.isEmpty || config.effectiveFailOn == .never {
        throw ToolError.usage("nothing to judge: \(run) has no validity checks\(results.checks.isEmpty ? "" : " that can fail with --fail-on never"); "
            + "give a requirement (--require 'clean>=0.90'), a baseline (--baseline reports/baseline/results.json) or a --config file")
    }
    let baseline = try config.baseline.map { path in
        (results: try loadGateResults(path, role: "baseline", hint: "record one with `robust eval --out reports/baseline`"), name: path)
    }
    let verdict = try GateVerdict.judge(results, run: run, config: config, baseline: baseline, privacy: privacy)
    return try publishGate(verdict, junitPath: junitPath, summaryPath: summaryPath, environment: environment, output: output)
}

/// Prints the verdict (and GitHub annotations), writes the JUnit and Markdown files, then throws
/// `ToolError.gateFailed` if it failed.
private func publishGate(_ verdict: GateVerdict, junitPath: String?, summaryPath: String?, environment: [String: String],
                         output: (String) -> Void) throws -> GateVerdict {
    verdict.githubAnnotations(environment: environment).forEach(output)
    verdict.textLines().forEach(output)
    if let path = junitPath {
        try writeGateFile(Data(verdict.junitXML().utf8), to: path, flag: "--junit")
    }
    if let path = summaryPath {
        // Appended, as $GITHUB_STEP_SUMMARY expects: earlier steps may have written to it.
        var text = FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) } ?? ""
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        try writeGateFile(Data((text + (text.isEmpty ? "" : "\n") + verdict.markdownSummary()).utf8), to: path, flag: "--summary")
    }
    guard verdict.passed else { throw ToolError.gateFailed(verdict.verdictLine) }
    return verdict
}

/// Loads a run folder or results.json; a missing or unreadable one is bad input naming the path.
func loadGateResults(_ runOrFile: String, role: String, hint: String) throws -> RunResults {
    let path = RunResults.resultsPath(for: runOrFile)
    guard FileManager.default.fileExists(atPath: path) else {
        throw ToolError.badInput("no \(role) results at \(runOrFile) (looked for \(path)); \(hint)")
    }
    do {
        return try RunResults.load(path: path)
    } catch {
        throw ToolError.badInput("\(error)")
    }
}

/// Writes an output file atomically, creating its folder; failure is bad input naming the flag.
private func writeGateFile(_ data: Data, to path: String, flag: String) throws {
    do {
        let folder = parentDirectory(of: path)
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try writeAtomically(data, to: path)
    } catch {
        throw ToolError.badInput("cannot write \(flag) \(path): \(error.localizedDescription)")
    }
}
