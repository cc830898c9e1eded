/// One thing a gate judged: a requirement, a comparison with the baseline, or a validity check.
/// Every writer (stdout, JUnit XML, Markdown, GitHub annotations) renders these same values.
public struct GateTestCase: Equatable, Sendable {
    /// What kind of test this is; the JUnit `classname`.
    public enum Kind: String, Equatable, Sendable {
        case requirement, baseline, check

        /// The JUnit classname: CI tools group test cases by it.
        public var classname: String { "robust.gate.\(rawValue)" }
    }

    public var kind: Kind
    /// The requirement as written, `pgd:linf@8/255` for a baseline point, the check id.
    public var name: String
    public var passed: Bool
    /// Passed, but worth a look: a validity check that warned while the gate fails only on failures.
    public var warning: Bool
    /// Why it failed or warned, with numbers and what to do, without the name (writers show both);
    /// empty when there is nothing to say.
    public var message: String
    /// The accuracy measured; nil for a validity check or a point the run does not have.
    public var measured: Double?
    /// The bound the measured value was compared with; nil for a validity check.
    public var threshold: Double?
    /// What was measured and what was required, for people: `0.6500`, `>= 0.7000 (baseline 0.7200 - 0.0200)`, `status warn`.
    public var measuredText: String
    public var requiredText: String

    public init(kind: Kind, name: String, passed: Bool, warning: Bool = false, message: String = "", measured: Double? = nil,
                threshold: Double? = nil, measuredText: String, requiredText: String) {
        self.kind = kind
        self.name = name
        self.passed = passed
        self.warning = warning
        self.message = message
        self.measured = measured
        self.threshold = threshold
        self.measuredText = measuredText
        self.requiredText = requiredText
    }
}

/// Something about the comparison itself rather than a test: the baseline is of another model
/// (expected) or another dataset (suspicious), points only one run has.
public struct GateNote: Equatable, Sendable {
    public var isWarning: Bool
    public var text: String

    public init(isWarning: Bool, text: String) {
        self.isWarning = isWarning
        self.text = text
    }
}

/// A gate's outcome: the test cases in the order they were judged (requirements, baseline
/// comparisons, validity checks) and notes about the comparison. It passes when every case passes.
public struct GateVerdict: Equatable, Sendable {
    /// The run judged, as the user named it (a folder or results.json).
    public var run: String
    /// The model judged, for the summary: name and SHA-256.
    public var modelName: String
    public var modelSHA256: String
    /// The baseline compared with, if any.
    public var baseline: String?
    public var cases: [GateTestCase]
    public var notes: [GateNote]

    public init(run: String, modelName: String, modelSHA256: String, baseline: String?, cases: [GateTestCase], notes: [GateNote]) {
        self.run = run
        self.modelName = modelName
        self.modelSHA256 = modelSHA256
        self.baseline = baseline
        self.cases = cases
        self.notes = notes
    }

    public var passed: Bool { cases.allSatisfy(\.passed) }
    public var failures: [GateTestCase] { cases.filter { !$0.passed } }
}
