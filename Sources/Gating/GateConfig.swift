import Workflow
/// What a CI gate judges: requirements, a baseline to compare with, and how strictly the run's
/// validity checks count. A `--config` file and the command-line flags each give one; the flags
/// add requirements to the file's and override its other settings (`overridden(by:)`).
///
/// Settings left nil take their defaults (`effective...`), so that a flag left out does not
/// override what the file says.
public struct GateConfig: Equatable, Sendable {
    public var requirements: [GateRequirement]
    /// A baseline results.json (or run folder), relative to the current directory.
    public var baseline: String?
    /// Largest drop in accuracy from the baseline that still passes; nil: `defaultMaxDrop`.
    public var maxDrop: Double?
    /// Judge baseline drops on the current run's Wilson interval; nil: false.
    public var wilson: Bool?
    /// Which validity-check status fails the gate; nil: `.fail`.
    public var failOn: GateFailOn?

    /// Two points at n = 1000 is about the sampling noise of a robust accuracy near 0.5 (its
    /// standard error is 0.016), so a smaller default would fail on noise.
    public static let defaultMaxDrop = 0.02

    public init(requirements: [GateRequirement] = [], baseline: String? = nil, maxDrop: Double? = nil,
                wilson: Bool? = nil, failOn: GateFailOn? = nil) {
        self.requirements = requirements
        self.baseline = baseline
        self.maxDrop = maxDrop
        self.wilson = wilson
        self.failOn = failOn
    }

    public var effectiveMaxDrop: Double { maxDrop ?? Self.defaultMaxDrop }
    public var effectiveWilson: Bool { wilson ?? false }
    public var effectiveFailOn: GateFailOn { failOn ?? .fail }

    /// This configuration with `flags` applied: their requirements after ours, their other settings
    /// wherever they give one.
    public func overridden(by flags: GateConfig) -> GateConfig {
        GateConfig(requirements: requirements + flags.requirements, baseline: flags.baseline ?? baseline,
                   maxDrop: flags.maxDrop ?? maxDrop, wilson: flags.wilson ?? wilson, failOn: flags.failOn ?? failOn)
    }

    /// Usage errors in a combination of settings: baseline options without a baseline.
    public func validate() throws {
        if baseline == nil, maxDrop != nil || wilson == true {
            throw ToolError.usage("--max-drop and --wilson compare with a baseline; give --baseline FILE too (or baseline: in the gate config)")
        }
    }

    /// A max drop as written: a number in [0, 1] or a percentage (`2%`); a usage error otherwise.
    public static func parseMaxDrop(_ text: String, source: String = "--max-drop") throws -> Double {
        guard let value = GateRequirement.parseAccuracy(text) else {
            throw ToolError.usage("\(source) '\(text)' is not an accuracy drop in [0,1] or a percentage (e.g. 0.02 or 2%)")
        }
        return value
    }
}

/// Which validity-check status fails the gate: `warn` fails on warnings and failures, `fail`
/// (the default) only on failures, `never` reports checks without failing on them.
public enum GateFailOn: String, CaseIterable, Equatable, Sendable {
    case warn, fail, never

    /// Parses `warn|fail|never`; anything else is a usage error naming the choices.
    public static func parse(_ text: String, source: String = "--fail-on") throws -> GateFailOn {
        guard let value = GateFailOn(rawValue: text.lowercased()) else {
            throw ToolError.usage("\(source) '\(text)' is not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}
