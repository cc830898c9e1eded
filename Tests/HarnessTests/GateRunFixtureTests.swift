import Foundation
import Harness
import Metrics
import XCTest

/// A synthetic run for the gate tests: a cnn on 1000 Fashion-MNIST test samples, clean 0.920,
/// pgd (linf) at 0.1 and 8/255, the worst case at both, and two validity checks (pass, warn).
enum GateFixture {
    static let n = 1000

    /// A curve point with `robust` of `n` samples robust and its Wilson interval.
    static func point(_ attack: String, _ norm: String = "linf", eps: Double, robust: Int, n: Int = GateFixture.n) -> CurvePoint {
        let (low, high) = wilsonInterval(successes: robust, trials: n)
        return CurvePoint(attack: attack, norm: norm, eps: eps, n: n, cleanAcc: 0.92, robustAcc: Double(robust) / Double(n),
                          ciLow: low, ciHigh: high, successRate: 0, medianNorm: 0, maxNorm: 0, queries: 0, seconds: 0)
    }

    static func results(sha256: String = String(repeating: "a", count: 64), indices: [Int] = Array(0..<GateFixture.n),
                        cleanCorrect: Int = 920, curve: [CurvePoint]? = nil,
                        checks: [ValidityCheck]? = nil, pgdSteps: String = "40") -> RunResults {
        RunResults(
            toolVersion: toolVersion, created: "2025-01-01T00:00:00Z", seconds: 1,
            model: ModelInfo(name: "cnn", path: "models/cnn-fmnist.safetensors", architecture: "cnn", sha256: sha256,
                             parameters: 1000, cardCleanAccuracy: 0.9286),
            dataset: DatasetInfo(name: "fashion-mnist", split: "test", directory: "/usr/share/fashion-mnist",
                                 classNames: (0..<10).map(String.init), channels: 1, height: 28, width: 28, indices: indices),
            seed: 0, threads: 1, batchSize: 100, clean: CleanResult(n: indices.count, correct: cleanCorrect),
            attacks: [AttackRun(id: "pgd", attack: "pgd", norm: "linf", epsilons: [0.1, 8.0 / 255],
                                parameters: ["steps": pgdSteps], usesGradients: true, seconds: 1)],
            curve: curve ?? [point("pgd", eps: 8.0 / 255, robust: 450), point("pgd", eps: 0.1, robust: 700),
                             point("worst", eps: 8.0 / 255, robust: 420), point("worst", eps: 0.1, robust: 680)],
            samples: [], examples: [],
            checks: checks ?? [
                ValidityCheck(id: "bounds", title: "Perturbations within epsilon", status: .pass, detail: "max linf 0.1", advice: "none"),
                ValidityCheck(id: "zero-gradients", title: "Gradients are not zero", status: .warn,
                              detail: "3% of samples had zero input gradients", advice: "Try a black-box attack."),
            ])
    }

    /// A fresh temporary folder.
    static func folder() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("robust-gate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Writes `results` as `results.json` in a new folder named `name` under `parent`; returns the folder.
    @discardableResult
    static func writeRun(_ results: RunResults, in parent: String, name: String = "run") throws -> String {
        let folder = (parent as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try results.jsonData().write(to: URL(fileURLWithPath: RunResults.resultsPath(for: folder)))
        return folder
    }

    /// Runs the gate on `results`, collecting its stdout lines; returns the verdict or the error.
    static func gate(_ results: RunResults, baseline: RunResults? = nil, options: GateOptions,
                     environment: [String: String] = [:]) throws -> (verdict: GateVerdict?, error: ToolError?, output: [String], folder: String) {
        let parent = try folder()
        let run = try writeRun(results, in: parent)
        var options = options
        if let baseline { options.baseline = try writeRun(baseline, in: parent, name: "baseline") }
        var output: [String] = []
        do {
            let verdict = try runGate(run: run, options: options, environment: environment) { output.append($0) }
            return (verdict, nil, output, parent)
        } catch let error as ToolError {
            return (nil, error, output, parent)
        }
    }
}

final class GateRunFixtureTests: XCTestCase {
    func testFixtureRoundTripsThroughResultsJSON() throws {
        let results = GateFixture.results()
        let run = try GateFixture.writeRun(results, in: try GateFixture.folder())
        XCTAssertEqual(try RunResults.load(path: RunResults.resultsPath(for: run)), results)
    }
}
