/// The outcome of one evaluation-validity check (is this evaluation to be trusted?).
public enum CheckStatus: String, Codable, Comparable, Sendable {
    case pass, warn, fail

    private var rank: Int { self == .pass ? 0 : self == .warn ? 1 : 2 }
    public static func < (a: CheckStatus, b: CheckStatus) -> Bool { a.rank < b.rank }
}

/// One validity check: what it tests, what it found, and what to do when it does not pass.
public struct ValidityCheck: Codable, Equatable, Sendable {
    /// Stable identifier (`zero-gradients`, `blackbox-beats-whitebox`...), used by the gate and the tests.
    public var id: String
    public var title: String
    public var status: CheckStatus
    /// What was measured, with numbers.
    public var detail: String
    /// What a failure means and what to do about it.
    public var advice: String

    public init(id: String, title: String, status: CheckStatus, detail: String, advice: String) {
        self.id = id
        self.title = title
        self.status = status
        self.detail = detail
        self.advice = advice
    }
}
