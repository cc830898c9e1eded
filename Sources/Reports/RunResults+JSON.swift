import Foundation
import Metrics

/// Reading and writing `results.json`.
extension RunResults {
    /// The encoder for results.json: snake_case, sorted keys, pretty-printed (diffable).
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The JSON bytes of these results.
    public func jsonData() throws -> Data {
        try Self.encoder().encode(self)
    }

    /// Reads a results.json. Errors name the file and say what is wrong with it.
    public static func load(path: String) throws -> RunResults {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ResultsError("cannot read \(path): no such file; pass a run folder written by `robust eval` or its results.json")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        struct Version: Decodable { var schemaVersion: Int }
        guard let version = try? decoder.decode(Version.self, from: data) else {
            throw ResultsError("\(path) is not a robust results.json (no schema_version); re-run `robust eval`")
        }
        guard version.schemaVersion == currentSchemaVersion else {
            throw ResultsError("\(path) has schema version \(version.schemaVersion); this robust reads version \(currentSchemaVersion); re-run `robust eval` with this version")
        }
        do {
            return try decoder.decode(RunResults.self, from: data)
        } catch {
            throw ResultsError("\(path) is not a valid results.json (\(error)); re-run `robust eval`")
        }
    }

    /// Resolves a run folder or a results.json path to the results.json path.
    public static func resultsPath(for runOrFile: String) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: runOrFile, isDirectory: &isDirectory), isDirectory.boolValue {
            return (runOrFile as NSString).appendingPathComponent("results.json")
        }
        return runOrFile
    }
}

/// A results file that is missing, unreadable or of another schema version (bad input: exit 3).
public struct ResultsError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
