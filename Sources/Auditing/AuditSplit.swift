import Datasets
import Reports
import Workflow

/// A half-open block of one split's sample indices, as `robust privacy` takes it: `train:0:2000` is train
/// images 0..<2000. Members, non-members and LiRA's reference pool are each one block, so they are easy to
/// write, to record and to check for overlaps.
public struct AuditSplit: Equatable, Sendable {
    public let split: DatasetSplit
    public let start: Int
    public let end: Int

    /// A block with `start < end`; a parsed one is checked, so this is a programmer's precondition.
    public init(split: DatasetSplit, start: Int, end: Int) {
        precondition(start >= 0 && start < end, "AuditSplit: need 0 ≤ start < end, got \(start)..<\(end)")
        (self.split, self.start, self.end) = (split, start, end)
    }

    public var count: Int { end - start }
    public var indices: [Int] { Array(start..<end) }
    public var spec: String { "\(split.rawValue):\(start):\(end)" }
    public var info: IndexSetInfo { IndexSetInfo(split: split.rawValue, start: start, end: end) }

    /// Whether the two blocks share an image (same split, intersecting ranges).
    public func overlaps(_ other: AuditSplit) -> Bool {
        split == other.split && start < other.end && other.start < end
    }

    /// Parses `train:START:END` or `test:START:END`; anything else is a usage error naming `flag` and the form.
    public static func parse(_ text: String, flag: String) throws -> AuditSplit {
        let form = "write SPLIT:START:END with SPLIT train or test and 0 ≤ START < END (half-open, e.g. train:0:2000)"
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 3 else { throw ToolError.usage("\(flag) '\(text)' is not SPLIT:START:END; \(form)") }
        guard let split = DatasetSplit(rawValue: parts[0].lowercased()) else {
            throw ToolError.usage("\(flag) '\(text)' names split '\(parts[0])'; \(form)")
        }
        guard let start = Int(parts[1]), let end = Int(parts[2]), start >= 0, end >= 0 else {
            throw ToolError.usage("\(flag) '\(text)' has bounds that are not whole numbers ≥ 0; \(form)")
        }
        guard start < end else { throw ToolError.usage("\(flag) '\(text)' is empty: START \(start) is not below END \(end); \(form)") }
        return AuditSplit(split: split, start: start, end: end)
    }

    /// Throws a usage error when the block runs past the end of its split (`count` images).
    func checkFits(count: Int, flag: String) throws {
        guard end <= count else {
            throw ToolError.usage("\(flag) \(spec) runs past the \(count) images of the \(split.rawValue) split; use END ≤ \(count)")
        }
    }
}
