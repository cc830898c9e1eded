import Attacks
import Datasets
import Foundation
import Harness
import Metrics
import Models
import XCTest
import _TestSupport

/// A model whose softmax is saturated by a huge temperature (logits x 10^4): input gradients of the
/// cross-entropy underflow to exactly zero, so gradient attacks stall while a score-based attack
/// still works. The validity checks must call it out, and the gate must fail on them.
final class TemperatureMaskedClassifier: Classifier {
    let inner: NetworkClassifier
    let temperature: Float = 10_000

    init(_ inner: NetworkClassifier) { self.inner = inner }

    var classes: Int { inner.classes }
    var queries: Int { inner.queries }

    func logits(_ x: Tensor) -> Tensor {
        var z = inner.logits(x)
        for i in z.storage.indices { z.storage[i] *= temperature }
        return z
    }

    func valueAndGradient(_ x: Tensor, objective: (Tensor) -> ObjectiveValue) -> (logits: Tensor, values: [Float], gradient: Tensor) {
        var scaled = Tensor(shape: [0, 0])
        let result = inner.valueAndGradient(x) { z in
            scaled = z
            for i in scaled.storage.indices { scaled.storage[i] *= self.temperature }
            var value = objective(scaled)
            for i in value.dLogits.storage.indices { value.dLogits.storage[i] *= self.temperature }
            return value
        }
        return (scaled, result.values, result.gradient)
    }
}

final class GradientMaskingTests: XCTestCase {
    func testMaskedModelFailsTheChecksTheReportAndTheGate() throws {
        let models = EvaluationTests.repository.appendingPathComponent("models")
        let model = try Model.load(path: models.appendingPathComponent("cnn-fmnist.safetensors").path)
        let masked = TemperatureMaskedClassifier(NetworkClassifier(network: model.network, classes: model.classes, context: testContext))
        let dataset = try Dataset.loadFashionMNIST(split: .test)
        let specs = [AttackSpec(id: "pgd", attack: "pgd", options: AttackOptions(steps: 10), epsilons: [0, 0.1]),
                     AttackSpec(id: "square", attack: "square", options: AttackOptions(queries: 300), epsilons: [0, 0.1])]
        let request = EvalRequest(model: "cnn-masked", attacks: specs, extraChecks: true)
        let attacks = try specs.map { try AttackRegistry.make($0.attack, options: $0.options) }
        let info = ModelInfo(name: "cnn-masked", path: "(test)", architecture: "cnn", sha256: "", parameters: model.parameterCount, cardCleanAccuracy: nil)
        let results = try evaluate(classifier: masked, dataset: dataset, indices: Array(0..<100), request: request, model: info, attacks: attacks, threads: testContext.threads)
        let status = Dictionary(uniqueKeysWithValues: results.checks.map { ($0.id, $0.status) })
        XCTAssertEqual(status["zero-gradients"], .fail, "\(results.checks)")
        XCTAssertEqual(status["blackbox-beats-whitebox"], .fail, "\(results.checks)")

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("robust-masked-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try writeRun(results, to: folder)
        let html = try String(contentsOfFile: folder + "/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("FAIL"), "the report shows the failing checks")
        XCTAssertThrowsError(try runGate(run: folder, options: GateOptions(failOn: "fail"), environment: [:], output: { _ in })) { error in
            XCTAssertEqual((error as? ToolError)?.exitCode, 1, "\(error)")
        }
    }
}
