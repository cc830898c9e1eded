import Files
import Foundation
import Metrics

/// Writes a run folder's derived files, `index.html`, `curve.csv` and `samples.csv`, each
/// through a temporary file and a rename, so a crash never leaves a half report. Creates
/// `directory` if needed. `perClassEps` is passed to `RunReport.html`.
///
/// Everything is rendered from `results`; call it right after writing results.json, or later
/// through `robust report` to re-render.
public func writeRunReport(_ results: RunResults, to directory: String, perClassEps: Double? = nil) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let folder = URL(fileURLWithPath: directory)
    try writeAtomically(Data(results.curveCSV().utf8), to: folder.appendingPathComponent("curve.csv").path)
    try writeAtomically(Data(results.samplesCSV().utf8), to: folder.appendingPathComponent("samples.csv").path)
    try writeAtomically(Data(RunReport.html(results, perClassEps: perClassEps).utf8),
                        to: folder.appendingPathComponent("index.html").path)
}

/// Writes one comparison page of several runs as `index.html` in `directory` (created if
/// needed), atomically. `eps` is passed to `ComparisonReport.html`.
public func writeComparisonReport(_ runs: [RunResults], privacy: [PrivacyResults] = [], to directory: String, eps: Double? = nil) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = URL(fileURLWithPath: directory).appendingPathComponent("index.html").path
    try writeAtomically(Data(ComparisonReport.html(runs, privacy: privacy, eps: eps).utf8), to: path)
}
