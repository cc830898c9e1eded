import Files
import Foundation
import Metrics

/// Reading and writing `privacy.json`, and the folder `robust privacy` writes.
extension PrivacyResults {
    /// The file name inside a privacy run's folder.
    public static let fileName = "privacy.json"

    /// The JSON bytes: snake_case, sorted keys, pretty-printed, as results.json.
    public func jsonData() throws -> Data {
        try RunResults.encoder().encode(self)
    }

    /// `privacy.json` inside a folder, or the path itself when it names a file.
    public static func path(for runOrFile: String) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: runOrFile, isDirectory: &isDirectory), isDirectory.boolValue {
            return (runOrFile as NSString).appendingPathComponent(fileName)
        }
        return runOrFile
    }

    /// Reads a privacy.json. Errors name the file and the fix (`ResultsError`, bad input).
    public static func load(path: String) throws -> PrivacyResults {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ResultsError("cannot read \(path): no such file; pass a folder written by `robust privacy` or its privacy.json")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        struct Version: Decodable { var schemaVersion: Int }
        guard let version = try? decoder.decode(Version.self, from: data) else {
            throw ResultsError("\(path) is not a robust privacy.json (no schema_version); re-run `robust privacy`")
        }
        guard version.schemaVersion == currentSchemaVersion else {
            throw ResultsError("\(path) has schema version \(version.schemaVersion); this robust reads version \(currentSchemaVersion); re-run `robust privacy` with this version")
        }
        do {
            return try decoder.decode(PrivacyResults.self, from: data)
        } catch {
            throw ResultsError("\(path) is not a valid privacy.json (\(error)); re-run `robust privacy`")
        }
    }
}

/// Writes a privacy run: `privacy.json`, `roc.csv` and `index.html` in `directory` (created if needed), each
/// atomically, the JSON last so that a folder with a privacy.json always has its report beside it.
public func writePrivacyRun(_ results: PrivacyResults, to directory: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let folder = URL(fileURLWithPath: directory)
    try writeAtomically(Data(results.rocCSV().utf8), to: folder.appendingPathComponent("roc.csv").path)
    try writeAtomically(Data(PrivacyReport.html(results).utf8), to: folder.appendingPathComponent("index.html").path)
    try writeAtomically(try results.jsonData(), to: folder.appendingPathComponent(PrivacyResults.fileName).path)
}
