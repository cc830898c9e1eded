import Attacks
import Foundation
import Harness
import Metrics
import Models
import Reports
import XCTest
import _TestSupport

/// The shipped cnn exported to ONNX and imported again is the same model to the last bit: its
/// evaluation records (samples.csv) equal the native checkpoint's under FGSM and PGD, and results.json
/// says where the model came from.
final class ONNXRoundTripTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testExportedCNNEvaluatesBitForBitLikeTheCheckpoint() throws {
        let models = Self.repository.appendingPathComponent("models").path
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("robust-onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("cnn-fmnist.onnx").path
        let (_, difference) = try exportONNX(model: "cnn", dataset: "fashion-mnist", modelsDirectory: models, to: file)
        XCTAssertEqual(difference, 0, "the cnn has no BatchNorm: its logits must survive the round trip exactly")

        let specs = [AttackSpec(id: "fgsm", attack: "fgsm", options: AttackOptions(), epsilons: [0, 0.02, 0.05, 0.1]),
                     AttackSpec(id: "pgd", attack: "pgd", options: AttackOptions(steps: 5), epsilons: [0.02, 0.05])]
        func run(_ model: String) throws -> RunResults {
            try runEvaluation(EvalRequest(model: model, modelsDirectory: models, samples: 64, attacks: specs, batchSize: 32, seed: 3, extraChecks: false), context: testContext, progress: false)
        }
        let native = try run("cnn"), imported = try run(file)
        XCTAssertEqual(imported.samplesCSV(), native.samplesCSV())
        XCTAssertEqual(native.model.format, "safetensors")
        XCTAssertEqual(imported.model.format, "onnx")
        XCTAssertEqual(imported.model.opset, 17)
        XCTAssertEqual(imported.model.producer, "robust \(toolVersion)")
        XCTAssertEqual(imported.model.opHistogram?["Conv"], 2)
        XCTAssertEqual(imported.model.parameters, native.model.parameters + 2) // + the Sub/Mul normalisation constants
        XCTAssertEqual(imported.model.sha256.count, 64)
    }
}
