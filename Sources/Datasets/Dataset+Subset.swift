import Foundation

extension Dataset {
    /// Indices `0..<n` (`--samples N`), or every sample when `n` is nil.
    ///
    /// Asking for more samples than exist is an error rather than a silent clamp, so a report
    /// never claims a sample count it did not evaluate.
    public func selectFirst(_ n: Int?) throws -> [Int] {
        guard let n else { return Array(0..<count) }
        guard n > 0 else {
            throw DatasetError.badSelection(reason: "\(name): --samples must be positive, got \(n)")
        }
        guard n <= count else {
            throw DatasetError.badSelection(
                reason: "\(name): --samples \(n) asks for more samples than the \(count) in the dataset; pass --samples \(count) or fewer")
        }
        return Array(0..<n)
    }

    /// Sample indices read from a text file: one integer per line, `#` starts a comment, blank lines skipped.
    ///
    /// Every index is checked against the dataset size and duplicates are rejected (they would
    /// count a sample twice), each with an error naming the line.
    public func loadIndices(file path: String) throws -> [Int] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError.missing(dataset: name, path: path,
                                       hint: "Pass --indices FILE with one sample index per line")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DatasetError.corrupt(path: path, reason: "not UTF-8 text",
                                       fix: "Write one decimal sample index per line")
        }
        return try parseIndices(text, path: path)
    }

    /// The parser behind `loadIndices(file:)`, separate so tests and callers with in-memory text can use it.
    public func parseIndices(_ text: String, path: String) throws -> [Int] {
        var result: [Int] = []
        var seenAt: [Int: Int] = [:]
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            let content = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            // One index per line, or several separated by commas.
            for field in content.split(separator: ",", omittingEmptySubsequences: false) {
                let token = field.trimmingCharacters(in: .whitespacesAndNewlines)
                if token.isEmpty { continue }
                guard let index = Int(token) else {
                    throw DatasetError.badIndex(path: path, line: lineNumber, reason: "'\(token)' is not an integer")
                }
                guard (0..<count).contains(index) else {
                    throw DatasetError.badIndex(path: path, line: lineNumber,
                                                reason: "index \(index) is outside 0..<\(count) (\(name) has \(count) samples)")
                }
                if let first = seenAt[index] {
                    throw DatasetError.badIndex(path: path, line: lineNumber,
                                                reason: "index \(index) repeats line \(first)")
                }
                seenAt[index] = lineNumber
                result.append(index)
            }
        }
        guard !result.isEmpty else {
            throw DatasetError.corrupt(path: path, reason: "no sample indices in the file",
                                       fix: "Write one sample index per line")
        }
        return result
    }
}
